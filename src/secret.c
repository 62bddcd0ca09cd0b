/* secret: see secret.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "secret.h"
#include "util.h"

void secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* The first line of buf[0..n), without its line end. */
static char *first_line(const char *buf, size_t n)
{
	const char *nl = memchr(buf, '\n', n);
	size_t k = nl ? (size_t)(nl - buf) : n;
	if (k && buf[k - 1] == '\r')
		k--;
	return xstrndup(buf, k);
}

/* check_mode: refuse a file others may read; check_owner: ... or that
 * another user owns. */
static int read_secret_file(const char *path, bool check_mode, bool check_owner, char **ret,
			    char **ret_error)
{
	int fd;
	int e = open_regular(path, true, &fd);
	if (e < 0) {
		*ret_error = xasprintf("%s: %s", path, e == -EINVAL || e == -ELOOP
							       ? "not a regular file"
							       : strerror(-e));
		return e;
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		e = -errno;
		*ret_error = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return e;
	}
	bool foreign = check_owner && sb.st_uid != geteuid();
	if (check_mode && (foreign || (sb.st_mode & 077))) {
		*ret_error = xasprintf("%s: refusing a password or key file that %s (chown it to the "
				       "service user and chmod 600)", path,
				       foreign ? "another user owns" : "group or others may read");
		close(fd);
		return -EPERM;
	}
	char buf[SECRET_MAX];
	ssize_t n = read(fd, buf, sizeof(buf));
	e = errno;
	close(fd);
	if (n < 0) {
		*ret_error = xasprintf("%s: %s", path, strerror(e));
		return -e;
	}
	*ret = first_line(buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	if (!**ret) {
		secret_free(*ret);
		*ret_error = xasprintf("%s: empty", path);
		return -EINVAL;
	}
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool stopping(volatile int *stop)
{
	return stop && *stop;
}

/* Whether the child has exited, without reaping it: its pid stays
 * reserved, so killing its process group afterwards cannot hit a
 * stranger that was given the same number. */
static bool exited(pid_t pid)
{
	siginfo_t si = {0};
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* Runs cmd through /bin/sh in a process group of its own, with stdin from
 * /dev/null and our environment (which holds no secret), and reads its
 * standard output. The deadline covers the whole run, the wait for its
 * exit included; whatever the helper started is killed with it (a helper
 * that closes stdout and stays, or leaves a child behind, costs nothing
 * past the deadline and leaves nothing running); *stop turning non-zero
 * ends the lookup within 200 ms. */
static int run_command(const char *what, const char *cmd, int timeout_s, volatile int *stop,
		       char **ret, char **ret_error)
{
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0) {
		*ret_error = xasprintf("%s: %s", what, strerror(errno));
		return -errno;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(out[0]);
		close(out[1]);
		*ret_error = xasprintf("%s: %s", what, strerror(e));
		return -e;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL); /* the daemon's threads block some */
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid); /* also here: no race with the child's own call */
	close(out[1]);
	char buf[SECRET_MAX];
	size_t n = 0;
	int64_t until = mono_ms() + (int64_t)timeout_s * 1000;
	enum { RUNNING, DONE, TIMED_OUT, STOPPED } state = RUNNING;
	bool eof = false;
	while (state == RUNNING) {
		int64_t left = until - mono_ms();
		if (stopping(stop)) {
			state = STOPPED;
			break;
		}
		if (left <= 0) {
			state = TIMED_OUT;
			break;
		}
		if (eof) {
			if (exited(pid))
				state = DONE;
			else
				poll(NULL, 0, left < 50 ? (int)left : 50);
			continue;
		}
		struct pollfd p = {out[0], POLLIN, 0};
		int k = poll(&p, 1, left < 200 ? (int)left : 200);
		if (k <= 0)
			continue;
		ssize_t got = read(out[0], buf + n, sizeof(buf) - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || (n += (size_t)got) == sizeof(buf))
			eof = true;
	}
	close(out[0]);
	/* the helper and everything it started in its group */
	kill(-pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (state != DONE || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		explicit_bzero(buf, sizeof(buf));
		*ret_error = state == TIMED_OUT ? xasprintf("%s did not finish within %d s (killed)",
							    what, timeout_s)
			     : state == STOPPED ? xasprintf("%s interrupted: rapportd is stopping",
							    what)
			     : WIFEXITED(status)
				     ? xasprintf("%s exited with status %d", what, WEXITSTATUS(status))
				     : xasprintf("%s was killed by signal %d", what, WTERMSIG(status));
		return state == STOPPED ? -EINTR : -EIO;
	}
	*ret = first_line(buf, n);
	explicit_bzero(buf, sizeof(buf));
	if (!**ret) {
		secret_free(*ret);
		*ret_error = xasprintf("%s printed nothing", what);
		return -EINVAL;
	}
	return 0;
}

int secret_lookup(const struct secret_source *s, volatile int *stop, char **ret,
		  char **ret_error)
{
	int t = s->timeout_s > 0 ? s->timeout_s : SECRET_COMMAND_TIMEOUT;
	if (s->oauth2_token_command)
		return run_command("oauth2_token_command", s->oauth2_token_command, t, stop, ret,
				   ret_error);
	if (s->password_command)
		return run_command("password_command", s->password_command, t, stop, ret,
				   ret_error);
	if (s->password_file)
		return read_secret_file(s->password_file, true, true, ret, ret_error);
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir && s->credential) {
		char *path = xasprintf("%s/%s", dir, s->credential);
		int r = access(path, F_OK) == 0 ? read_secret_file(path, false, false, ret, ret_error)
						: -ENOENT;
		if (r == -ENOENT)
			*ret_error = xasprintf("no credential named %s in $CREDENTIALS_DIRECTORY "
					       "(LoadCredential=%s:...)", s->credential, s->credential);
		free(path);
		return r;
	}
	*ret_error = xasprintf("%s: no password_file, password_command, oauth2_token_command, "
			       "or systemd credential", s->what);
	return -ENOENT;
}

int secret_get(const struct conf *c, const struct conf_account *a, volatile int *stop,
	       char **ret, char **ret_error)
{
	char *what = xasprintf("account %s", a->name);
	struct secret_source s = {what, a->password_file, a->password_command,
				  a->oauth2_token_command, a->name, c->command_timeout};
	int r = secret_lookup(&s, stop, ret, ret_error);
	free(what);
	return r;
}

int secret_file(const char *path, bool any_owner, char **ret, char **ret_error)
{
	return read_secret_file(path, true, !any_owner, ret, ret_error);
}

int secret_check(const struct secret_source *s, bool any_owner, char **ret_error)
{
	char *v = NULL;
	if (s->oauth2_token_command || s->password_command)
		return 0; /* run at login only: it may ask a service, or prompt */
	if (s->password_file) {
		int r = read_secret_file(s->password_file, true, !any_owner, &v, ret_error);
		secret_free(v);
		return r;
	}
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir && s->credential) {
		char *path = xasprintf("%s/%s", dir, s->credential);
		int r = access(path, R_OK) == 0 ? 0 : -errno;
		if (r < 0)
			*ret_error = xasprintf("no credential named %s in $CREDENTIALS_DIRECTORY "
					       "(LoadCredential=%s:...)", s->credential, s->credential);
		free(path);
		return r;
	}
	return 1;
}
