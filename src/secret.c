/* secret: see secret.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static int read_secret_file(const char *path, bool check_mode, char **ret, char **ret_error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		*ret_error = xasprintf("%s: %s", path, strerror(e));
		return -e;
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		*ret_error = xasprintf("%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (check_mode && (sb.st_uid != geteuid() || (sb.st_mode & 077))) {
		*ret_error = xasprintf("%s: refusing a password file that %s (chown it to the "
				       "service user and chmod 600)", path,
				       sb.st_uid != geteuid() ? "another user owns"
							      : "group or others may read");
		close(fd);
		return -EPERM;
	}
	char buf[SECRET_MAX];
	ssize_t n = read(fd, buf, sizeof(buf));
	int e = errno;
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

/* Runs cmd through /bin/sh with stdin from /dev/null and our environment
 * (which holds no secret), and reads its standard output. */
static int run_command(const char *what, const char *cmd, char **ret, char **ret_error)
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
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	char buf[SECRET_MAX];
	size_t n = 0;
	time_t until = time(NULL) + SECRET_COMMAND_TIMEOUT;
	bool timed_out = false;
	for (;;) {
		struct pollfd p = {out[0], POLLIN, 0};
		int left = (int)(until - time(NULL));
		if (left <= 0 || poll(&p, 1, left * 1000) == 0) {
			timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		ssize_t k = read(out[0], buf + n, sizeof(buf) - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
		if (n == sizeof(buf))
			break;
	}
	close(out[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		explicit_bzero(buf, sizeof(buf));
		*ret_error = timed_out ? xasprintf("%s did not finish within %d s", what,
						   SECRET_COMMAND_TIMEOUT)
			     : WIFEXITED(status)
				     ? xasprintf("%s exited with status %d", what, WEXITSTATUS(status))
				     : xasprintf("%s was killed by signal %d", what, WTERMSIG(status));
		return -EIO;
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

int secret_lookup(const struct secret_source *s, char **ret, char **ret_error)
{
	if (s->oauth2_token_command)
		return run_command("oauth2_token_command", s->oauth2_token_command, ret, ret_error);
	if (s->password_command)
		return run_command("password_command", s->password_command, ret, ret_error);
	if (s->password_file)
		return read_secret_file(s->password_file, true, ret, ret_error);
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir && s->credential) {
		char *path = xasprintf("%s/%s", dir, s->credential);
		int r = access(path, F_OK) == 0 ? read_secret_file(path, false, ret, ret_error)
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

int secret_get(const struct conf_account *a, char **ret, char **ret_error)
{
	char *what = xasprintf("account %s", a->name);
	struct secret_source s = {what, a->password_file, a->password_command,
				  a->oauth2_token_command, a->name};
	int r = secret_lookup(&s, ret, ret_error);
	free(what);
	return r;
}
