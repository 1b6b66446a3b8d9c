// SPDX-License-Identifier: GPL-2.0
/*
 * Permission audit (Documentation/security.rst).  A training process of
 * a non-root uid ("owner") holds a session with objects, a complete
 * profile and a placement map published by root; then, as that uid, as
 * a different non-root uid, as root without CAP_NET_ADMIN and as a user
 * namespace's root:
 *
 *  - a session of another process shows none of the owner's objects,
 *    profile or placement, and the owner's descriptor, once held by
 *    another process, is refused (EPERM) for every command but VERSION;
 *  - every netlink command, dumps included, and joining the event group
 *    are refused with EPERM (root succeeds: the requests are valid);
 *  - sentineld, run without CAP_SYS_PTRACE, leaves alone the sessions of
 *    processes the ptrace rules do not let it inspect (another uid, a
 *    non-dumpable process): it marks them denied, says so in its log and
 *    neither plans nor publishes for them, while it plans for a process
 *    it may inspect.
 *
 * /dev/sentinel is made 0666 for the duration of a test (group
 * "sentinel" in production) and restored.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "sntl_nl.h"
#include "kselftest_harness.h"
#include "sntl_daemon.h"

#define OWNER_UID	12345
#define OTHER_UID	23456
#define NOBJ		4
#define OBJ_PAGES	4

static int wait_exit(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -1;
	return 0;
}

/* Keep exactly the capabilities in @keep (permitted and effective). */
static int caps_keep(uint64_t keep)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	keep &= (uint64_t)d[1].permitted << 32 | d[0].permitted;
	memset(d, 0, sizeof(d));
	d[0].permitted = d[0].effective = (uint32_t)keep;
	d[1].permitted = d[1].effective = (uint32_t)(keep >> 32);
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

static int have_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	return !!(d[cap / 32].effective & (1U << (cap % 32)));
}

/* ---- netlink ---- */

/*
 * Send @r (a do, or a dump with @dump) and read to the end: 0 or the
 * request's -errno; *nmsg counts the data messages.
 */
static int nl_req(int sk, struct sntl_nl_req *r, int dump, int *nmsg)
{
	char buf[16384];
	struct nlmsghdr *h;
	ssize_t len;

	*nmsg = 0;
	if (dump)
		r->n.nlmsg_flags |= NLM_F_DUMP;
	if (send(sk, r, r->n.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		len = recv(sk, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE) {
				/* the end of a dump (dumps get no ack) */
				int err = 0;

				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
					memcpy(&err, NLMSG_DATA(h), sizeof(err));
				return err;
			}
			(*nmsg)++;
		}
	}
}

/* The id of the family's "events" multicast group, or -1. */
static int nl_events_group(int sk)
{
	char buf[4096];
	struct nlattr *a, *g, *e;
	ssize_t len = sntl_nl_getfamily(sk, buf, sizeof(buf));

	if (len < 0)
		return -1;
#define NEXT(x) ((struct nlattr *)((char *)(x) + NLA_ALIGN((x)->nla_len)))
#define INSIDE(x, end) ((char *)(x) + NLA_HDRLEN <= (end) && \
			(x)->nla_len >= NLA_HDRLEN && \
			(char *)(x) + (x)->nla_len <= (end))
	for (a = (struct nlattr *)(buf + NLMSG_LENGTH(GENL_HDRLEN));
	     INSIDE(a, buf + len); a = NEXT(a)) {
		char *aend = (char *)a + a->nla_len;

		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		for (g = (struct nlattr *)((char *)a + NLA_HDRLEN);
		     INSIDE(g, aend); g = NEXT(g)) {
			char *gend = (char *)g + g->nla_len;
			const char *name = NULL;
			int id = -1;

			for (e = (struct nlattr *)((char *)g + NLA_HDRLEN);
			     INSIDE(e, gend); e = NEXT(e)) {
				if (e->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
					name = (char *)e + NLA_HDRLEN;
				else if (e->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					memcpy(&id, (char *)e + NLA_HDRLEN, 4);
			}
			if (name && !strcmp(name, SENTINEL_GENL_MCGRP_EVENTS))
				return id;
		}
	}
#undef NEXT
#undef INSIDE
	return -1;
}

/* As sntl_nl_put(), addressing the attribute from the whole request. */
static void nl_put(struct sntl_nl_req *r, int type, const void *data,
		   size_t len)
{
	char *base = (char *)r;
	struct nlattr a = { .nla_type = type, .nla_len = NLA_HDRLEN + len };
	size_t off = NLMSG_ALIGN(r->n.nlmsg_len);

	memcpy(base + off, &a, sizeof(a));
	memcpy(base + off + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = off + NLA_ALIGN(a.nla_len);
}

/* One valid request per command, for session @sid. */
static void nl_build(struct sntl_nl_req *r, int family, int cmd, uint64_t sid)
{
	struct sentinel_placement pl[2] = {
		{ .id = 1, .node = 0 }, { .id = 2, .node = 0 },
	};
	uint64_t steps;
	uint32_t u;

	sntl_nl_start(r, family, cmd);
	switch (cmd) {
	case SENTINEL_CMD_GET_STATUS:
		break;
	case SENTINEL_CMD_SET_PLACEMENT:
		nl_put(r, SENTINEL_A_SESSION_ID, &sid, sizeof(sid));
		u = 2;
		nl_put(r, SENTINEL_A_COUNT, &u, sizeof(u));
		u = 0;
		nl_put(r, SENTINEL_A_OFFSET, &u, sizeof(u));
		nl_put(r, SENTINEL_A_PLACEMENT, pl, sizeof(pl));
		break;
	case SENTINEL_CMD_PROFILE_START:
		nl_put(r, SENTINEL_A_SESSION_ID, &sid, sizeof(sid));
		u = 0;
		nl_put(r, SENTINEL_A_WARMUP, &u, sizeof(u));
		steps = 1;
		nl_put(r, SENTINEL_A_STEPS, &steps, sizeof(steps));
		break;
	default:
		nl_put(r, SENTINEL_A_SESSION_ID, &sid, sizeof(sid));
		break;
	}
}

static const struct {
	int cmd, dump;
	const char *name;
} nl_cmds[] = {
	{ SENTINEL_CMD_GET_STATUS, 0, "GET_STATUS" },
	{ SENTINEL_CMD_GET_SESSION, 0, "GET_SESSION" },
	{ SENTINEL_CMD_GET_SESSION, 1, "GET_SESSION dump" },
	{ SENTINEL_CMD_GET_OBJECTS, 1, "GET_OBJECTS dump" },
	{ SENTINEL_CMD_GET_PROFILE, 1, "GET_PROFILE dump" },
	{ SENTINEL_CMD_PROFILE_STOP, 0, "PROFILE_STOP" },
	{ SENTINEL_CMD_PROFILE_START, 0, "PROFILE_START" },
	{ SENTINEL_CMD_SET_PLACEMENT, 0, "SET_PLACEMENT" },
};

#define NR_NL_CMDS (sizeof(nl_cmds) / sizeof(nl_cmds[0]))

/*
 * Every command on session @sid: 0 when each returns @want (EPERM, or 0
 * with data for dumps), else 1 + the index of the first that did not;
 * joining the event group must give @want too (100 if not).
 */
static int nl_all(uint64_t sid, int want)
{
	struct sntl_nl_req *r = malloc(sizeof(*r));
	int sk = sntl_nl_socket(), family, grp, err, n;
	unsigned int i;

	if (!r || sk < 0)
		return 200;
	family = sntl_nl_family(sk);
	grp = nl_events_group(sk);
	if (family < 0 || grp < 0)
		return 201;
	for (i = 0; i < NR_NL_CMDS; i++) {
		nl_build(r, family, nl_cmds[i].cmd, sid);
		err = nl_req(sk, r, nl_cmds[i].dump, &n);
		if (err != want || (!want && nl_cmds[i].dump && n < 1)) {
			fprintf(stderr, "# %s: %d (%d messages), want %d\n",
				nl_cmds[i].name, err, n, want);
			return 1 + i;
		}
	}
	err = setsockopt(sk, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
			 sizeof(grp)) ? -errno : 0;
	if (err != want) {
		fprintf(stderr, "# join events: %d, want %d\n", err, want);
		return 100;
	}
	close(sk);
	free(r);
	return 0;
}

/* ---- the owner: a non-root training process with a session ---- */

struct owner_info {
	uint64_t sid;
	uint64_t objects;
	uint64_t profile_generation;
	uint64_t placement_generation;
	uint32_t placement_total;
	uint32_t pad;
};

static int owner_state(int fd, struct owner_info *oi)
{
	struct sentinel_session_stats st;
	struct sentinel_placement_get pg = { .size = sizeof(pg) };

	if (sntl_stats(fd, &st) || sntl_ioctl(fd, SENTINEL_IOC_GET_PLACEMENT, &pg))
		return -1;
	oi->sid = st.session_id;
	oi->objects = st.objects;
	oi->profile_generation = st.profile_generation;
	oi->placement_generation = pg.generation;
	oi->placement_total = pg.total;
	return 0;
}

/* Register NOBJ objects and complete a one-step profile of two layers. */
static int train_one_step(int fd, char *b)
{
	struct sentinel_profile_ctl pc = {
		.size = sizeof(pc), .op = SENTINEL_PROFILE_OP_START, .steps = 1,
	};
	struct sentinel_obj objs[NOBJ];
	int i;

	for (i = 0; i < NOBJ; i++)
		objs[i] = sntl_obj(b + i * OBJ_PAGES * PAGE, OBJ_PAGES * PAGE,
				   i + 1, SENTINEL_KIND_WEIGHT);
	if (sntl_register_n(fd, objs, NOBJ, NULL) ||
	    sntl_ioctl(fd, SENTINEL_IOC_PROFILE_CTL, &pc) ||
	    sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 1))
		return -1;
	for (i = 1; i <= 2; i++) {
		if (sntl_mark(fd, SENTINEL_MARK_LAYER_BEGIN, SENTINEL_DIR_FORWARD, i, 0))
			return -1;
		memset(b + (i - 1) * 2 * OBJ_PAGES * PAGE, i, 2 * OBJ_PAGES * PAGE);
		if (sntl_mark(fd, SENTINEL_MARK_LAYER_END, SENTINEL_DIR_FORWARD, i, 0))
			return -1;
	}
	return sntl_mark(fd, SENTINEL_MARK_STEP_END, 0, 0, 1);
}

/*
 * The owner's loop on @sk: it first sends its state and its session's
 * descriptor (SCM_RIGHTS), then answers each byte with its state; it
 * exits when the socket closes.
 */
static int owner_main(int sk)
{
	char *b = sntl_map(NOBJ * OBJ_PAGES * PAGE), cbuf[CMSG_SPACE(sizeof(int))];
	struct owner_info oi = { 0 };
	struct iovec iov = { &oi, sizeof(oi) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	char cmd;
	int fd;

	if (!b || become(OWNER_UID))
		return 10;
	memset(b, 0, NOBJ * OBJ_PAGES * PAGE);
	fd = sntl_open();
	if (fd < 0)
		return 11;
	if (train_one_step(fd, b) || owner_state(fd, &oi))
		return 12;
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sk, &mh, 0) != sizeof(oi))
		return 13;
	while (read(sk, &cmd, 1) == 1) {
		if (owner_state(fd, &oi) || write(sk, &oi, sizeof(oi)) != sizeof(oi))
			return 14;
	}
	return 0;
}

static int owner_ask(int sk, struct owner_info *oi)
{
	return write(sk, "?", 1) == 1 &&
	       read(sk, oi, sizeof(*oi)) == sizeof(*oi) ? 0 : -1;
}

FIXTURE(perm) {
	mode_t mode;
	pid_t owner;
	int sk;			/* to the owner */
	int ofd;		/* the owner's session, received */
	struct owner_info oi;	/* at start */
};

/* Undo owner_setup(), also a partial one. */
static void owner_cleanup(FIXTURE_DATA(perm) *self)
{
	if (self->owner > 0) {
		close(self->sk);
		kill(self->owner, SIGKILL);
		wait_exit(self->owner);
		self->owner = -1;
	}
	if (self->ofd >= 0)
		close(self->ofd);
	self->ofd = -1;
	if (self->mode)
		chmod(SENTINEL_DEVICE, self->mode);
	self->mode = 0;
}

/* Start the owner and receive its descriptor: 0, or the step that failed. */
static int owner_setup(FIXTURE_DATA(perm) *self)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &self->oi, sizeof(self->oi) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	struct stat st;
	int sv[2];

	if (stat(SENTINEL_DEVICE, &st))
		return 1;
	self->mode = st.st_mode & 07777;
	if (chmod(SENTINEL_DEVICE, 0666))
		return 2;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 3;
	self->owner = fork();
	if (self->owner < 0)
		return 4;
	if (self->owner == 0) {
		close(sv[0]);
		_exit(owner_main(sv[1]));
	}
	close(sv[1]);
	self->sk = sv[0];
	if (recvmsg(self->sk, &mh, 0) != sizeof(self->oi))
		return 5;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return 6;
	memcpy(&self->ofd, CMSG_DATA(c), sizeof(int));
	if (self->oi.objects != NOBJ || self->oi.profile_generation < 1)
		return 7;
	/* Root may do it all, and publishes a placement map for the owner. */
	if (nl_all(self->oi.sid, 0))
		return 8;
	if (owner_ask(self->sk, &self->oi) ||
	    self->oi.placement_generation < 1 || self->oi.placement_total != 2)
		return 9;
	return 0;
}

FIXTURE_SETUP(perm)
{
	int err;

	self->owner = -1;
	self->ofd = -1;
	self->mode = 0;
	if (getuid() != 0)
		SKIP(return, "the audit runs as root (it switches uids)");
	err = owner_setup(self);
	if (err)
		owner_cleanup(self);
	ASSERT_EQ(err, 0);
}

FIXTURE_TEARDOWN(perm)
{
	owner_cleanup(self);
}

/* The owner's state is what it was at setup. */
static void owner_unchanged(struct __test_metadata *_metadata,
			    FIXTURE_DATA(perm) *self)
{
	struct owner_info now;

	ASSERT_EQ(owner_ask(self->sk, &now), 0);
	EXPECT_EQ(now.sid, self->oi.sid);
	EXPECT_EQ(now.objects, NOBJ);
	EXPECT_EQ(now.profile_generation, self->oi.profile_generation);
	EXPECT_EQ(now.placement_generation, self->oi.placement_generation);
	EXPECT_EQ(now.placement_total, 2);
}

/* As @uid, in a session of one's own: nothing of the owner is visible. */
static int own_session_sees_nothing(uid_t uid)
{
	struct sentinel_obj_info info[NOBJ];
	struct sentinel_query q = {
		.size = sizeof(q), .flags = SENTINEL_QUERY_ALL, .count = NOBJ,
		.info_size = sizeof(info[0]), .out = (uintptr_t)info,
	};
	struct sentinel_profile_read pr = { .size = sizeof(pr) };
	struct sentinel_placement_get pg = { .size = sizeof(pg) };
	struct sentinel_session_stats st;
	uint64_t id = 1;
	char buf[4096];
	int fd;

	if (become(uid))
		return 10;
	fd = sntl_open();
	if (fd < 0)
		return 11;
	if (sntl_query1(fd, 1, 1, &info[0]) != -ENOENT)
		return 1;
	if (sntl_ioctl(fd, SENTINEL_IOC_QUERY, &q) || q.returned != 0)
		return 2;
	if (sntl_stats(fd, &st) || st.objects || st.profile_generation)
		return 3;
	pr.buf = (uintptr_t)buf;
	pr.buf_len = sizeof(buf);
	if (sntl_ioctl(fd, SENTINEL_IOC_PROFILE_READ, &pr) != -ENOENT)
		return 4;
	if (sntl_ioctl(fd, SENTINEL_IOC_GET_PLACEMENT, &pg) ||
	    pg.total || pg.generation)
		return 5;
	if (sntl_unregister_n(fd, &id, 1, NULL) != -ENOENT)
		return 6;
	close(fd);
	return 0;
}

TEST_F(perm, owner_uid_other_process_sees_nothing)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(own_session_sees_nothing(OWNER_UID));
	EXPECT_EQ(wait_exit(pid), 0);
	owner_unchanged(_metadata, self);
}

TEST_F(perm, other_uid_sees_nothing)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(own_session_sees_nothing(OTHER_UID));
	EXPECT_EQ(wait_exit(pid), 0);
	owner_unchanged(_metadata, self);
}

/* As @uid, holding the owner's descriptor: every command but VERSION fails. */
static int held_fd_refused(int fd, uid_t uid)
{
	struct sentinel_version v = { .size = sizeof(v) };
	struct sentinel_obj_info info;
	struct sentinel_profile_ctl pc = {
		.size = sizeof(pc), .op = SENTINEL_PROFILE_OP_STATUS,
	};
	struct sentinel_profile_read pr = { .size = sizeof(pr) };
	struct sentinel_placement_get pg = { .size = sizeof(pg) };
	struct sentinel_session_stats st;
	struct sentinel_unregister u = {
		.size = sizeof(u), .flags = SENTINEL_UNREG_ALL,
	};
	char *b = sntl_map(PAGE), buf[4096];

	if (!b || become(uid))
		return 10;
	if (sntl_ioctl(fd, SENTINEL_IOC_VERSION, &v))
		return 1;
	if (sntl_register1(fd, b, PAGE, 100) != -EPERM)
		return 2;
	if (sntl_ioctl(fd, SENTINEL_IOC_UNREGISTER, &u) != -EPERM)
		return 3;
	if (sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 100) != -EPERM)
		return 4;
	if (sntl_query1(fd, 1, 1, &info) != -EPERM)
		return 5;
	if (sntl_stats(fd, &st) != -EPERM)
		return 6;
	if (sntl_ioctl(fd, SENTINEL_IOC_PROFILE_CTL, &pc) != -EPERM)
		return 7;
	pr.buf = (uintptr_t)buf;
	pr.buf_len = sizeof(buf);
	if (sntl_ioctl(fd, SENTINEL_IOC_PROFILE_READ, &pr) != -EPERM)
		return 8;
	if (sntl_ioctl(fd, SENTINEL_IOC_GET_PLACEMENT, &pg) != -EPERM)
		return 9;
	return 0;
}

TEST_F(perm, passed_fd_refused_to_owner_uid)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(held_fd_refused(self->ofd, OWNER_UID));
	EXPECT_EQ(wait_exit(pid), 0);
	owner_unchanged(_metadata, self);
}

TEST_F(perm, passed_fd_refused_to_other_uid)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(held_fd_refused(self->ofd, OTHER_UID));
	EXPECT_EQ(wait_exit(pid), 0);
	owner_unchanged(_metadata, self);
}

static void nl_refused_as(struct __test_metadata *_metadata,
			  FIXTURE_DATA(perm) *self, uid_t uid)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (uid ? become(uid) :
		    caps_keep(~(1ULL << CAP_NET_ADMIN)) || have_cap(CAP_NET_ADMIN))
			_exit(110);
		_exit(nl_all(self->oi.sid, -EPERM));
	}
	EXPECT_EQ(wait_exit(pid), 0);
	owner_unchanged(_metadata, self);
}

TEST_F(perm, netlink_refused_to_owner_uid)
{
	nl_refused_as(_metadata, self, OWNER_UID);
}

TEST_F(perm, netlink_refused_to_other_uid)
{
	nl_refused_as(_metadata, self, OTHER_UID);
}

TEST_F(perm, netlink_refused_to_root_without_cap_net_admin)
{
	nl_refused_as(_metadata, self, 0);
}

/*
 * The test VM's init runs the tests chrooted into the host's root, and a
 * chrooted process may not create a user namespace (EPERM).  As root,
 * leave the chroot for the namespace's real root first: only netlink is
 * used after that.
 */
static int leave_chroot(void)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), i;

	if (fd < 0 || mkdir("/tmp/perm-chroot", 0700) ||
	    chroot("/tmp/perm-chroot") || fchdir(fd))
		return -1;
	close(fd);
	for (i = 0; i < 64; i++)
		if (chdir(".."))
			return -1;
	return chroot(".") || chdir("/") ? -1 : 0;
}

/*
 * A user namespace's root (CAP_NET_ADMIN there, sharing the host's
 * network namespace) is refused; in a network namespace of its own the
 * family does not exist.
 */
TEST_F(perm, user_namespace_root_refused)
{
	int pfd[2], status;
	char why[64] = "";
	pid_t pid;

	ASSERT_EQ(pipe(pfd), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int ret, sk;

		close(pfd[0]);
		if (leave_chroot() || become(OTHER_UID))
			_exit(10);
		if (unshare(CLONE_NEWUSER)) {
			dprintf(pfd[1], "user namespaces: %s", strerror(errno));
			_exit(77);
		}
		if (have_cap(CAP_NET_ADMIN) != 1)
			_exit(11);
		ret = nl_all(self->oi.sid, -EPERM);
		if (ret)
			_exit(ret);
		if (unshare(CLONE_NEWNET)) {
			dprintf(pfd[1], "network namespaces: %s", strerror(errno));
			_exit(0);
		}
		sk = sntl_nl_socket();
		if (sk < 0 || sntl_nl_family(sk) != -1)
			_exit(12);
		_exit(0);
	}
	close(pfd[1]);
	status = wait_exit(pid);
	if (read(pfd[0], why, sizeof(why) - 1) < 0)
		why[0] = '\0';
	close(pfd[0]);
	rmdir("/tmp/perm-chroot");
	if (status == 77)
		SKIP(return, "%s", why);
	EXPECT_EQ(status, 0);
	if (why[0])
		TH_LOG("%s: the network namespace part did not run", why);
	owner_unchanged(_metadata, self);
}

/* ---- sentineld and the ptrace rules ---- */

/* build/daemon/sentineld, beside this program's build/tests/vm/. */
static const char *sentineld_path(void)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	char *s;
	int i;

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	for (i = 0; i < 3; i++) {
		s = strrchr(path, '/');
		if (!s)
			return NULL;
		*s = '\0';
	}
	strcat(path, "/daemon/sentineld");
	return path;
}

/*
 * Field @key of the daemon's migration session for @pid in its "stats"
 * reply @s (true 1, false 0, number), -1 when absent.
 */
static long sess_field(const char *s, pid_t pid, const char *key)
{
	char pat[64];
	const char *p, *end;

	if (!s || !(s = strstr(s, "\"migration_sessions\":[")))
		return -1;
	snprintf(pat, sizeof(pat), "\"pid\":%d,", (int)pid);
	p = strstr(s, pat);
	if (!p)
		return -1;
	end = strstr(p + strlen(pat), "\"pid\":");
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(p, pat);
	if (!p || (end && p > end))
		return -1;
	return (long)sntl_json_num(p, key);
}

static int file_has(const char *path, const char *text)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	if (f)
		fclose(f);
	return found;
}

enum target_kind { T_ALLOWED, T_OTHER_UID, T_NOT_DUMPABLE, NR_TARGETS };

static const char *const target_name[NR_TARGETS] = {
	"same uid, no capabilities", "another uid", "not dumpable",
};

/*
 * A training process the daemon may or may not inspect: it registers,
 * profiles one step, reports its placement generation on @wfd each time
 * a byte arrives on @rfd, and exits at end of file.
 */
static int target_main(enum target_kind k, int rfd, int wfd)
{
	char *b = sntl_map(NOBJ * OBJ_PAGES * PAGE), cmd;
	struct owner_info oi;
	int fd;

	if (!b)
		return 10;
	memset(b, 0, NOBJ * OBJ_PAGES * PAGE);
	if (k == T_OTHER_UID) {
		if (become(OTHER_UID))
			return 11;
	} else if (caps_keep(0)) {
		return 12;
	}
	if (k == T_NOT_DUMPABLE && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return 13;
	fd = sntl_open();
	if (fd < 0 || train_one_step(fd, b))
		return 14;
	while (read(rfd, &cmd, 1) == 1)
		if (owner_state(fd, &oi) || write(wfd, &oi, sizeof(oi)) != sizeof(oi))
			return 15;
	return 0;
}

struct target {
	pid_t pid;
	int to, from;
};

static int target_start(struct target *t, enum target_kind k)
{
	int a[2], b[2];

	if (pipe2(a, O_CLOEXEC) || pipe2(b, O_CLOEXEC))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		close(a[1]);
		close(b[0]);
		_exit(target_main(k, a[0], b[1]));
	}
	close(a[0]);
	close(b[1]);
	t->to = a[1];
	t->from = b[0];
	return 0;
}

static int target_ask(struct target *t, struct owner_info *oi)
{
	return write(t->to, "?", 1) == 1 &&
	       read(t->from, oi, sizeof(*oi)) == sizeof(*oi) ? 0 : -1;
}

/* 0 when the target was still alive (it answered target_ask() before). */
static int target_stop(struct target *t)
{
	int ret = kill(t->pid, SIGKILL);

	close(t->to);
	close(t->from);
	return wait_exit(t->pid) == 128 + SIGKILL && !ret ? 0 : -1;
}

static void show_log(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "# log: %s", line);
	if (f)
		fclose(f);
}

/* The daemon's stats once @t[T_ALLOWED] is planned, or NULL after @ms. */
static char *wait_planned(const char *sock, struct target *t, int ms)
{
	char *st;

	for (; ms > 0; ms -= 200) {
		st = sntl_ctl(sock, "stats");
		if (sess_field(st, t[T_ALLOWED].pid, "plans") >= 1 &&
		    sess_field(st, t[T_OTHER_UID].pid, "denied") >= 0 &&
		    sess_field(st, t[T_NOT_DUMPABLE].pid, "denied") >= 0)
			return st;
		free(st);
		sntl_sleep_ms(200);
	}
	return NULL;
}

TEST_F_TIMEOUT(perm, daemon_leaves_alone_what_ptrace_forbids, 240)
{
	char dir[64], conf[128], sock[128], logf[128], text[512], *st = NULL;
	const char *sentineld = sentineld_path();
	struct target t[NR_TARGETS];
	struct owner_info oi[NR_TARGETS];
	int i, ms, started = 0;
	pid_t dpid;
	FILE *f;

	if (!sentineld || access(sentineld, X_OK))
		SKIP(return, "sentineld not built");
	snprintf(dir, sizeof(dir), "/tmp/perm-%d", getpid());
	ASSERT_EQ(mkdir(dir, 0700), 0);
	snprintf(conf, sizeof(conf), "%s/sentineld.conf", dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(logf, sizeof(logf), "%s/log", dir);
	f = fopen(conf, "w");
	ASSERT_NE(f, NULL);
	fprintf(f, "control_socket = %s\nlog_level = info\npolicy = static\n"
		"fast_nodes = 0\nslow_nodes = 1\n", sock);
	fclose(f);

	/* Root without CAP_SYS_PTRACE: the ptrace rules apply to it. */
	dpid = fork();
	ASSERT_GE(dpid, 0);
	if (dpid == 0) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd < 0 || prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0))
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		unsetenv("NOTIFY_SOCKET");
		execl(sentineld, "sentineld", "--foreground", "--log=stderr",
		      "--config", conf, (char *)NULL);
		_exit(127);
	}
	for (ms = 0; ms < 60000 && !st; ms += 100) {
		st = sntl_ctl(sock, "status");
		if (!st)
			sntl_sleep_ms(100);
	}
	EXPECT_NE(st, NULL) TH_LOG("sentineld did not answer");
	free(st);
	st = NULL;
	for (i = 0; i < NR_TARGETS && !_metadata->exit_code; i++, started++)
		EXPECT_EQ(target_start(&t[i], i), 0);
	/* The daemon plans for the process it may inspect ... */
	if (started == NR_TARGETS) {
		st = wait_planned(sock, t, 60000);
		EXPECT_NE(st, NULL) TH_LOG("the daemon did not plan the inspectable session");
	}
	if (st) {
		/* ... and events arrive in order: the others' are in. */
		sntl_sleep_ms(1000);
		free(st);
		st = sntl_ctl(sock, "stats");
	}
	for (i = 0; st && i < NR_TARGETS; i++) {
		EXPECT_EQ(target_ask(&t[i], &oi[i]), 0);
		EXPECT_GE(oi[i].profile_generation, 1);
		TH_LOG("%s: denied %ld, plans %ld, placement generation %llu",
		       target_name[i], sess_field(st, t[i].pid, "denied"),
		       sess_field(st, t[i].pid, "plans"),
		       (unsigned long long)oi[i].placement_generation);
	}
	if (st) {
		EXPECT_EQ(sess_field(st, t[T_ALLOWED].pid, "denied"), 0);
		EXPECT_GE(oi[T_ALLOWED].placement_generation, 1);
	}
	for (i = T_OTHER_UID; st && i < NR_TARGETS; i++) {
		EXPECT_EQ(sess_field(st, t[i].pid, "denied"), 1);
		EXPECT_EQ(sess_field(st, t[i].pid, "plans"), 0);
		EXPECT_EQ(oi[i].placement_generation, 0);
		snprintf(text, sizeof(text),
			 "not allowed to inspect pid %d (ptrace rules)", (int)t[i].pid);
		EXPECT_TRUE(file_has(logf, text)) TH_LOG("no \"%s\" in the log", text);
	}
	free(st);
	for (i = 0; i < started; i++)
		EXPECT_EQ(target_stop(&t[i]), 0);
	kill(dpid, SIGTERM);
	EXPECT_EQ(wait_exit(dpid), 0);
	if (_metadata->exit_code == KSFT_FAIL)
		show_log(logf);
	unlink(conf);
	unlink(logf);
	rmdir(dir);
}

TEST(device_mode_refuses_others)
{
	struct stat st;
	pid_t pid;

	ASSERT_EQ(stat(SENTINEL_DEVICE, &st), 0);
	EXPECT_EQ(st.st_uid, 0);
	EXPECT_EQ(st.st_mode & 0777, 0660);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (become(OTHER_UID))
			_exit(10);
		_exit(sntl_open() == -1 && errno == EACCES ? 0 : 1);
	}
	EXPECT_EQ(wait_exit(pid), 0);
}

TEST_HARNESS_MAIN
