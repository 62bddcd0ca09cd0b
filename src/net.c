/* net: see net.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "util.h"

bool net_host_is_loopback(const char *host)
{
	if (!host || !*host)
		return false;
	if (ascii_strcasecmp(host, "localhost") == 0)
		return true;
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	/* "[::1]" as libcurl gives a URL's IPv6 host, "::1" as written */
	size_t n = strlen(host);
	char buf[INET6_ADDRSTRLEN + 2];
	if (host[0] == '[' && n >= 2 && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	struct in6_addr a6;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One attempt at one address; 0 or a negative errno. */
static int try_connect(const struct addrinfo *ai, int64_t until, int *ret_fd)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	if (fd < 0)
		return -errno;
	int r = 0;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			r = -errno;
			goto out;
		}
		for (;;) {
			int64_t left = until - now_ms();
			struct pollfd p = {fd, POLLOUT, 0};
			int k = left > 0 ? poll(&p, 1, (int)left) : 0;
			if (k < 0 && errno == EINTR)
				continue;
			if (k == 0) {
				r = -ETIMEDOUT;
				goto out;
			}
			if (k < 0) {
				r = -errno;
				goto out;
			}
			break;
		}
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			r = -err;
			goto out;
		}
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		r = -errno;
out:
	if (r < 0)
		close(fd);
	else
		*ret_fd = fd;
	return r;
}

int net_connect(const char *host, int port, int timeout_s, int *ret_fd, char **ret_error)
{
	struct addrinfo hints = {0}, *res = NULL;
	char service[16];
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%d", port);
	int g = getaddrinfo(host, service, &hints, &res);
	if (g != 0) {
		bool unknown = g == EAI_NONAME || g == EAI_NODATA || g == EAI_FAIL;
		*ret_error = xasprintf("%s:%d: %s%s%s", host, port,
				       unknown ? "host name not found" : "cannot resolve the name",
				       unknown ? "" : ": ", unknown ? "" : gai_strerror(g));
		return unknown ? -ENOENT : -EHOSTUNREACH;
	}
	int64_t until = now_ms() + (int64_t)timeout_s * 1000;
	int r = -ENOENT;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		r = try_connect(ai, until, ret_fd);
		if (r == 0 || r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (r == 0)
		return 0;
	if (r == -ETIMEDOUT)
		*ret_error = xasprintf("%s:%d: connection timed out (no answer within %d s)", host,
				       port, timeout_s);
	else if (r == -ECONNREFUSED)
		*ret_error = xasprintf("%s:%d: connection refused", host, port);
	else
		*ret_error = xasprintf("%s:%d: cannot connect: %s", host, port, strerror(-r));
	return r;
}
