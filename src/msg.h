/* msg: from raw header bytes to a classified message record
 * (DOMAIN.md §1-§3). Parsing uses libetpan's mailimf/mailmime value
 * parsers on individual header values only; a whole body is never handed
 * to mailmime_parse (Debian 12's libetpan crashes on hostile MIME). */
#ifndef RAPPORT_MSG_H
#define RAPPORT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Upper bounds on untrusted input. */
#define MSG_MAX_HEADER (4 * 1024 * 1024) /* header block bytes parsed */
#define MSG_MAX_BODY_SCAN (256 * 1024)   /* body bytes scanned for a DSN */
#define MSG_MAX_REFS 128                 /* References ids kept (the last ones) */
#define MSG_MAX_ADDRS 1000               /* addresses kept per field */
/* The Bcc value read: a newsletter's Bcc of a whole department can be most
 * of a mailbox's header bytes, and all rapport needs of it is that it
 * names more than personal_max_recipients; a longer value is read up to
 * here (IMAP fetches twice this much of the field) and makes a broadcast. */
#define MSG_MAX_BCC 1024

enum msg_kind {
	MSG_PERSONAL,
	MSG_BOUNCE,
	MSG_AUTO,
	MSG_LIST,
	MSG_BROADCAST,
};

enum msg_direction {
	DIR_UNRELATED,
	DIR_OUTBOUND,
	DIR_INBOUND,
};

/* Where the date came from, best first. */
enum msg_date_source {
	DATE_HEADER,
	DATE_INTERNAL,  /* IMAP INTERNALDATE */
	DATE_RECEIVED,  /* the top Received header */
	DATE_MAILDIR,   /* a maildir file name */
	DATE_MBOX,      /* an mbox From_ line */
	DATE_NONE,      /* nothing usable: date is 0 */
};

/* The date a source can offer when the Date header fails. */
struct msg_src_date {
	enum msg_date_source kind; /* DATE_INTERNAL, DATE_MAILDIR, DATE_MBOX or DATE_NONE */
	int64_t t;
};

struct msg {
	char *message_id;      /* without <>, never NULL */
	bool synthetic_id;     /* true when made up from From, Date, Subject */
	int64_t date;          /* UTC seconds */
	enum msg_date_source date_source;
	char *from;            /* normalised first From address, or NULL */
	char *from_name;       /* decoded display name, or NULL */
	struct strlist to, cc, bcc, reply_to; /* normalised, unique per field */
	bool bcc_more;         /* Bcc was longer than MSG_MAX_BCC: only its start
				* was read, and it holds more than a personal
				* message's recipients */
	char *subject;         /* decoded, UTF-8, never NULL */
	char *subject_norm;    /* DOMAIN.md §3 normalisation, never NULL */
	char *in_reply_to;     /* first id, without <>, or NULL */
	struct strlist references; /* ids without <>, in order (the last MSG_MAX_REFS) */
	char *list_id;         /* or NULL */
	bool has_list_hdr;     /* List-Post or List-Unsubscribe (RFC 2369) */
	char *precedence;      /* lower-cased, or NULL */
	char *auto_submitted;  /* lower-cased value, or NULL */
	bool x_autoreply;      /* non-empty X-Autoreply or X-Autorespond */
	bool report;           /* multipart/report; report-type=delivery-status */
	/* bounce details, filled when report or a bounce sender */
	char *bounce_orig_id;  /* the bounced message's id, or NULL */
	bool bounce_per_recipient;    /* the report had per-recipient fields */
	struct strlist bounce_failed; /* normalised recipients that failed;
	                               * empty without per-recipient fields =
	                               * every recipient */
};

/* Parses one message. data[0..len) holds the header block and,
 * optionally, the start of the body (used only to read a delivery
 * report's per-recipient fields and the returned message's id). src gives
 * the fallback date. Returns 0 and fills *ret, or -EINVAL when the data has
 * no header field at all, -E2BIG when the header block is larger than
 * MSG_MAX_HEADER. Untrusted data. msg_free() releases *ret. */
int msg_parse(const char *data, size_t len, const struct msg_src_date *src,
	      struct msg *ret);
void msg_free(struct msg *m);

/* The addresses of one address-list field value, normalised, each once, as
 * msg_parse takes them for To, Cc, Bcc and Reply-To. plain: the fast path
 * for plain lists may answer (as in msg_parse); false: libetpan alone
 * (the tests hold one against the other). */
void msg_addresses(const char *value, bool plain, struct strlist *ret);

/* Classification settings (from conf). */
struct msg_rules {
	const struct strlist *identity;  /* normalised own addresses */
	int personal_max_recipients;
};

/* The kind of m per DOMAIN.md §2 (first rule that matches). */
enum msg_kind msg_classify(const struct msg *m, const struct msg_rules *r);

/* Direction of m for an account with the given identity; in_inbox says
 * whether a copy is in the account's INBOX. */
enum msg_direction msg_direction(const struct msg *m, const struct strlist *identity,
				 bool in_inbox);

/* Whether a header block might be a delivery report, whose body then
 * tells which recipients failed: a cheap, generous test (the words
 * multipart/report, mailer-daemon or postmaster anywhere in it). Every
 * source hands the parse a message's body only when it says so: an IMAP
 * sync fetches no other body, an import passes on no other. */
bool msg_may_be_report(const char *h, size_t n);

/* Whether the Date field of a header block gives the message its date, as
 * msg_parse reads it; if not, the source's date stands in (DOMAIN.md §3),
 * so a source asks for that date only when this says false. */
bool msg_header_dated(const char *h, size_t n);

/* A subject or display name as stored: RFC 2047 encoded words decoded
 * (libetpan's phrase decoding: words joined by single spaces), bytes that
 * are not UTF-8 read as ISO-8859-1, made valid UTF-8. Caller frees. */
char *msg_decode_text(const char *raw);
/* The same, every text through libetpan: what msg_decode_text's plain
 * path (nothing to decode, kept as it is) must agree with. */
char *msg_decode_phrase(const char *raw);

/* DOMAIN.md §3 normalised subject of a decoded subject. Caller frees. */
char *msg_subject_normalize(const char *subject);

/* True if the raw subject starts with a reply prefix (Re/AW/SV/Antw) or
 * a forward prefix (Fw/Fwd) respectively. */
bool msg_subject_is_reply(const char *subject);
bool msg_subject_is_forward(const char *subject);

const char *msg_kind_name(enum msg_kind k);
const char *msg_direction_name(enum msg_direction d);
const char *msg_date_source_name(enum msg_date_source s);

#endif
