// SPDX-License-Identifier: GPL-2.0
/*
 * Session lifecycle: fork (inherited descriptors and the child's own
 * session), exit with live objects, kill -9 in the middle of a batch, a
 * session outliving its address space, device permissions, and module
 * unload while sessions are open.
 */
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "sntl_test.h"
#include "kselftest_harness.h"

static int wait_exit(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(fork_inherited_fd_is_refused)
{
	char *b = sntl_map(4 * PAGE);
	int fd = sntl_open();
	pid_t pid;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(sntl_register1(fd, b, PAGE, 1), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sentinel_version v = { .size = sizeof(v) };
		struct sentinel_session_stats st;
		int own;

		/* The parent's session: only VERSION works. */
		if (sntl_register1(fd, b + PAGE, PAGE, 2) != -EPERM)
			_exit(1);
		if (sntl_stats(fd, &st) != -EPERM)
			_exit(2);
		if (sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 1) != -EPERM)
			_exit(3);
		if (sntl_ioctl(fd, SENTINEL_IOC_VERSION, &v))
			_exit(4);
		/* Its own session: the same ids and ranges are free there. */
		own = sntl_open();
		if (own < 0 || sntl_register1(own, b, PAGE, 1))
			_exit(5);
		if (sntl_nr_objects(own) != 1)
			_exit(6);
		_exit(0);
	}
	EXPECT_EQ(wait_exit(pid), 0);
	EXPECT_EQ(sntl_nr_objects(fd), 1);
	close(fd);
	munmap(b, 4 * PAGE);
}

TEST(exit_with_live_objects)
{
	long objs0 = sntl_sysfs_read("stats/objects");
	long sess0 = sntl_sysfs_read("stats/sessions");
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char *b = sntl_map(1000 * PAGE);
		struct sentinel_obj objs[1000];
		int fd = sntl_open(), i;

		for (i = 0; i < 1000; i++)
			objs[i] = sntl_obj(b + i * PAGE, PAGE, i, 0);
		if (fd < 0 || sntl_register_n(fd, objs, 1000, NULL))
			_exit(1);
		_exit(0);	/* no close, no unregister */
	}
	ASSERT_EQ(wait_exit(pid), 0);
	EXPECT_EQ(sntl_sysfs_read("stats/objects"), objs0);
	EXPECT_EQ(sntl_sysfs_read("stats/sessions"), sess0);
}

/* Register 65536-object batches until killed. */
static void register_forever(void)
{
	const size_t n = SENTINEL_MAX_BATCH;
	char *b = mmap(NULL, 64 * n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct sentinel_obj *objs = calloc(n, sizeof(*objs));
	uint64_t id = 0;
	int fd = sntl_open(), round = 0;
	size_t i;

	if (fd < 0 || b == MAP_FAILED || !objs)
		_exit(1);
	for (;;) {
		for (i = 0; i < n; i++, id++)
			objs[i] = sntl_obj(b + (id % (64 * n)) * PAGE, PAGE,
					   id, 0);
		if (sntl_register_n(fd, objs, n, NULL))
			_exit(2);
		if (++round == 64) {
			sntl_ioctl(fd, SENTINEL_IOC_UNREGISTER,
				   &(struct sentinel_unregister){
					.size = sizeof(struct sentinel_unregister),
					.flags = SENTINEL_UNREG_ALL });
			round = 0;
		}
	}
}

FIXTURE(slow) {
	int unused;
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, kill9_mid_batch, 300)
{
	long objs0 = sntl_sysfs_read("stats/objects");
	long sess0 = sntl_sysfs_read("stats/sessions");
	struct timespec ts;
	int i;

	srand(42);
	for (i = 0; i < 10; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0)
			register_forever();
		ts.tv_sec = 0;
		ts.tv_nsec = (50 + rand() % 400) * 1000000L;
		nanosleep(&ts, NULL);
		ASSERT_EQ(kill(pid, SIGKILL), 0);
		ASSERT_EQ(wait_exit(pid), 128 + SIGKILL);
		ASSERT_EQ(sntl_sysfs_read("stats/objects"), objs0);
		ASSERT_EQ(sntl_sysfs_read("stats/sessions"), sess0);
	}
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* A session whose process exited, kept open by another process. */
TEST(session_outlives_address_space)
{
	long objs0 = sntl_sysfs_read("stats/objects");
	struct sentinel_obj_info info;
	int sv[2], fd;
	pid_t pid;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char *b = sntl_map(8 * PAGE);
		int dev = sntl_open();

		memset(b, 1, 8 * PAGE);
		if (dev < 0 || sntl_register1(dev, b, 8 * PAGE, 1) ||
		    send_fd(sv[1], dev))
			_exit(1);
		_exit(0);
	}
	fd = recv_fd(sv[0]);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(wait_exit(pid), 0);
	/* The session and its object live on; its memory is not ours. */
	EXPECT_EQ(sntl_sysfs_read("stats/objects"), objs0 + 1);
	EXPECT_EQ(sntl_query1(fd, 1, 1, &info), -EPERM);
	close(fd);
	EXPECT_EQ(sntl_sysfs_read("stats/objects"), objs0);
	close(sv[0]);
	close(sv[1]);
}

TEST(unprivileged_open_refused)
{
	struct stat st;
	pid_t pid;

	ASSERT_EQ(stat(SENTINEL_DEVICE, &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0660);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		if (sntl_open() != -1 || errno != EACCES)
			_exit(1);
		if (sntl_sysfs_write("max_sessions", "5") != -EACCES)
			_exit(2);
		_exit(0);
	}
	EXPECT_EQ(wait_exit(pid), 0);
}

TEST(unload_refused_while_open)
{
	const char *ko = getenv("SENTINEL_KO");
	int fd, kfd;

	if (!ko || !*ko)
		SKIP(return, "SENTINEL_KO not set");
	fd = sntl_open();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(syscall(SYS_delete_module, "sentinel", O_NONBLOCK), -1);
	EXPECT_EQ(errno, EWOULDBLOCK);
	EXPECT_EQ(sntl_sysfs_read("stats/sessions") >= 1, 1);
	close(fd);

	ASSERT_EQ(syscall(SYS_delete_module, "sentinel", O_NONBLOCK), 0)
		TH_LOG("rmmod: %s", strerror(errno));
	kfd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(kfd, 0);
	ASSERT_EQ(syscall(SYS_finit_module, kfd, "", 0), 0);
	close(kfd);
}

TEST_HARNESS_MAIN
