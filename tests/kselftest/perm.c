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
 * /dev/sentinel is made 0666 for the duration of those tests (group
 * "sentinel" in production) and restored.
 *
 * Then, as in production: sentineld with exactly the capabilities of
 * sentineld.service (CAP_NET_ADMIN, CAP_SYS_NICE, CAP_SYS_PTRACE, no
 * CAP_DAC_OVERRIDE) plans for and migrates the job of an ordinary user
 * who may open the 0660 device through its group, while a user outside
 * the group gets EACCES.
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
#define SNTL_GID	34567	/* stands for group "sentinel" */
#define NOBJ		4
#define OBJ_PAGES	4

#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE	(1 << 1)
#endif

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
	case SENTINEL_CMD_ACK_MARK:
		nl_put(r, SENTINEL_A_SESSION_ID, &sid, sizeof(sid));
		steps = 0;	/* a mark number no session can lack */
		nl_put(r, SENTINEL_A_SEQ, &steps, sizeof(steps));
		break;
	case SENTINEL_CMD_RELEASE_MARKS:
		nl_put(r, SENTINEL_A_SESSION_ID, &sid, sizeof(sid));
		break;
	case SENTINEL_CMD_SET_ACCT: {
		struct sentinel_job_acct acct = { .steps = 1 };

		nl_put(r, SENTINEL_A_SESSION_ID, &sid, sizeof(sid));
		nl_put(r, SENTINEL_A_JOB_ACCT, &acct, sizeof(acct));
		break;
	}
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
	{ SENTINEL_CMD_ACK_MARK, 0, "ACK_MARK" },
	{ SENTINEL_CMD_RELEASE_MARKS, 0, "RELEASE_MARKS" },
	{ SENTINEL_CMD_SET_ACCT, 0, "SET_ACCT" },
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
		err = sntl_nl_request(sk, r, nl_cmds[i].dump, &n);
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
static int target_main(int k, int rfd, int wfd)
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

/* Fork a child running @fn(@arg, read end, write end) with pipes to it. */
static int child_start(struct target *t, int (*fn)(int, int, int), int arg)
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
		_exit(fn(arg, a[0], b[1]));
	}
	close(a[0]);
	close(b[1]);
	t->to = a[1];
	t->from = b[0];
	return 0;
}

static int target_start(struct target *t, enum target_kind k)
{
	return child_start(t, target_main, k);
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

/* A sentineld of the tests below: its directory, files and process. */
struct drun {
	char dir[64], conf[128], sock[128], logf[128];
	pid_t pid;
};

/*
 * Start sentineld (policy static, node 0 fast, node 1 slow, a fast
 * budget of @budget bytes unless 0) in a new directory named after @tag,
 * @prep setting its capabilities in the child before execve(), and wait
 * until it answers on its control socket.  0, or the step that failed.
 */
static int drun_start(struct drun *d, const char *tag, int (*prep)(void),
		      unsigned long budget)
{
	const char *sentineld = sentineld_path();
	bool up = false;
	char *st;
	FILE *f;
	int ms;

	d->pid = -1;
	snprintf(d->dir, sizeof(d->dir), "/tmp/perm-%s-%d", tag, getpid());
	snprintf(d->conf, sizeof(d->conf), "%s/sentineld.conf", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/ctl.sock", d->dir);
	snprintf(d->logf, sizeof(d->logf), "%s/log", d->dir);
	if (!sentineld || mkdir(d->dir, 0700))
		return 1;
	f = fopen(d->conf, "w");
	if (!f)
		return 2;
	fprintf(f, "control_socket = %s\nlog_level = info\npolicy = static\n"
		"fast_nodes = 0\nslow_nodes = 1\n", d->sock);
	if (budget)
		fprintf(f, "fast_budget = %lu\n", budget);
	if (fclose(f))
		return 2;
	d->pid = fork();
	if (d->pid < 0)
		return 3;
	if (d->pid == 0) {
		int fd = open(d->logf, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || prep())
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		unsetenv("NOTIFY_SOCKET");
		execl(sentineld, "sentineld", "--foreground", "--log=stderr",
		      "--config", d->conf, (char *)NULL);
		_exit(127);
	}
	/* A watchdog only: it turns a daemon that never answers into a failure. */
	for (ms = 0; ms < 120000 && !up; ms += 100) {
		st = sntl_ctl(d->sock, "status");
		up = st != NULL;
		free(st);
		if (!up) {
			if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
				d->pid = -1;
				return 5;
			}
			sntl_sleep_ms(100);
		}
	}
	return up ? 0 : 4;
}

/* Stop the daemon with SIGTERM: its exit status (0 when it is not running). */
static int drun_stop(struct drun *d)
{
	int ret = 0;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		ret = wait_exit(d->pid);
		d->pid = -1;
	}
	return ret;
}

/* Remove the daemon's directory (stopped), its log first shown on @show. */
static void drun_clean(struct drun *d, bool show)
{
	if (!d->dir[0])
		return;
	if (show)
		show_log(d->logf);
	unlink(d->conf);
	unlink(d->logf);
	unlink(d->sock);
	rmdir(d->dir);
	d->dir[0] = '\0';
}

/* Root without CAP_SYS_PTRACE: the ptrace rules apply to it. */
static int drop_ptrace(void)
{
	return prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0);
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
	const char *sentineld = sentineld_path();
	struct target t[NR_TARGETS];
	struct owner_info oi[NR_TARGETS];
	struct drun d = { .pid = -1 };
	char text[512], *st = NULL;
	int i, started = 0;

	if (!sentineld || access(sentineld, X_OK))
		SKIP(return, "sentineld not built");
	/* Root without CAP_SYS_PTRACE: the ptrace rules apply to it. */
	EXPECT_EQ(drun_start(&d, "ptrace", drop_ptrace, 0), 0)
		TH_LOG("sentineld did not answer");
	for (i = 0; i < NR_TARGETS && !_metadata->exit_code; i++, started++)
		EXPECT_EQ(target_start(&t[i], i), 0);
	/* The daemon plans for the process it may inspect ... */
	if (started == NR_TARGETS) {
		st = wait_planned(d.sock, t, 60000);
		EXPECT_NE(st, NULL) TH_LOG("the daemon did not plan the inspectable session");
	}
	if (st) {
		/* ... and events arrive in order: the others' are in. */
		sntl_sleep_ms(1000);
		free(st);
		st = sntl_ctl(d.sock, "stats");
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
		EXPECT_TRUE(file_has(d.logf, text)) TH_LOG("no \"%s\" in the log", text);
	}
	free(st);
	for (i = 0; i < started; i++)
		EXPECT_EQ(target_stop(&t[i]), 0);
	EXPECT_EQ(drun_stop(&d), 0);
	drun_clean(&d, _metadata->exit_code == KSFT_FAIL);
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

/* ---- sentineld as systemd runs it, and an ordinary user's job ---- */

/* CapabilityBoundingSet= and AmbientCapabilities= of sentineld.service */
#define UNIT_CAPS	(1ULL << CAP_NET_ADMIN | 1ULL << CAP_SYS_NICE | \
			 1ULL << CAP_SYS_PTRACE)
#define JOB_PAGES	(NOBJ * OBJ_PAGES)

/*
 * What systemd does for the unit (root, CapabilityBoundingSet=,
 * AmbientCapabilities=, NoNewPrivileges=yes): UNIT_CAPS alone in the
 * bounding set, and in the inheritable and ambient sets, so that root
 * holds exactly UNIT_CAPS after execve().  0 or -1.
 */
static int caps_as_unit(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	int cap;

	/* Capabilities the kernel does not know: EINVAL. */
	for (cap = 0; cap < 64; cap++)
		if (!(UNIT_CAPS & 1ULL << cap) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -1;
	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].inheritable = (uint32_t)UNIT_CAPS;
	d[1].inheritable = (uint32_t)(UNIT_CAPS >> 32);
	if (syscall(SYS_capset, &h, d))
		return -1;
	for (cap = 0; cap < 64; cap++)
		if ((UNIT_CAPS & 1ULL << cap) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0))
			return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* The capability set @key ("CapEff"...) of process @pid; 0 or -1. */
static int proc_caps(pid_t pid, const char *key, uint64_t *v)
{
	char path[64], line[256];
	size_t n = strlen(key);
	unsigned long long x;
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && ret && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':' &&
		    sscanf(line + n + 1, "%llx", &x) == 1) {
			*v = x;
			ret = 0;
		}
	if (f)
		fclose(f);
	return ret;
}

/*
 * The sum of @key in the "current" and "total" steps of the daemon's
 * session for @pid in its "stats" reply @s, -1 when absent.
 */
static long long sess_acct(const char *s, pid_t pid, const char *key)
{
	static const char *const part[] = { "\"current\":{", "\"total\":{" };
	const char *p, *end, *q;
	long long sum = 0;
	char pat[64], kpat[64];
	int i;

	if (!s || !(s = strstr(s, "\"migration_sessions\":[")))
		return -1;
	snprintf(pat, sizeof(pat), "\"pid\":%d,", (int)pid);
	snprintf(kpat, sizeof(kpat), "\"%s\":", key);
	p = strstr(s, pat);
	if (!p)
		return -1;
	end = strstr(p + strlen(pat), "\"pid\":");
	for (i = 0; i < 2; i++) {
		q = strstr(p, part[i]);
		q = q ? strstr(q, kpat) : NULL;
		if (!q || (end && q > end))
			return -1;
		sum += strtoll(q + strlen(kpat), NULL, 10);
	}
	return sum;
}

/* As @uid with the supplementary group @group (none when 0). */
static int become_member(uid_t uid, gid_t group)
{
	if (setgroups(group ? 1 : 0, &group) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -1;
	return 0;
}

/* 0 when @uid, in @group (0: none), may open the device; else the errno. */
static int open_as(uid_t uid, gid_t group)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		if (become_member(uid, group))
			_exit(200);
		fd = sntl_open();
		_exit(fd >= 0 ? 0 : errno);
	}
	return wait_exit(pid);
}

/* What the job reports after each command. */
struct job_state {
	int32_t err;		/* 0, or the step of the job that failed */
	uint32_t fast, slow;	/* its pages on node 0, on node 1 */
	uint32_t pad;
	struct sentinel_job_acct acct;	/* read by the job itself ('a') */
};

/*
 * The job begins step 3 and reads, as its own uid, what the daemon
 * accounted for it: until the daemon's figures include @bytes demoted
 * (the daemon sends them at a step begin; the limit is a watchdog).
 */
static int job_read_acct(int fd, uint64_t bytes, struct job_state *js)
{
	struct sentinel_session_stats st;

	if (sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 3))
		return -1;
	for (int ms = 0; ms < 60000; ms += 50) {
		if (sntl_stats(fd, &st))
			return -1;
		js->acct = st.acct;
		if (st.acct.updates && st.acct.demoted_bytes >= bytes)
			return 0;
		sntl_sleep_ms(50);
	}
	return 0;
}

/* Where the job's pages are (asked of the kernel, nothing moved). */
static void job_where(char *b, struct job_state *js)
{
	void *pages[JOB_PAGES];
	int status[JOB_PAGES], i;

	js->fast = js->slow = 0;
	for (i = 0; i < JOB_PAGES; i++)
		pages[i] = b + i * PAGE;
	if (syscall(SYS_move_pages, 0, JOB_PAGES, pages, NULL, status, 0))
		return;
	for (i = 0; i < JOB_PAGES; i++) {
		js->fast += status[i] == 0;
		js->slow += status[i] == 1;
	}
}

/* Its own pages to node 0, as any process may: 0 or -1. */
static int job_to_fast(char *b)
{
	void *pages[JOB_PAGES];
	int nodes[JOB_PAGES], status[JOB_PAGES], i;

	for (i = 0; i < JOB_PAGES; i++) {
		pages[i] = b + i * PAGE;
		nodes[i] = 0;
	}
	if (syscall(SYS_move_pages, 0, JOB_PAGES, pages, nodes, status, MPOL_MF_MOVE))
		return -1;
	for (i = 0; i < JOB_PAGES; i++)
		if (status[i] != 0)
			return -1;
	return 0;
}

/*
 * An ordinary user's training job: uid OWNER_UID, member of the device's
 * group SNTL_GID, dumpable as after a plain execve() (a set*id() call of
 * root leaves a process non-dumpable, and its /proc files are then
 * root's, open to the daemon without CAP_DAC_OVERRIDE: the job would not
 * be the one of a user).  Its objects start on node 0; it profiles one
 * step and sends its state; then on each byte from @rfd, 's' also
 * beginning step 2, it sends its state again.
 */
static int job_main(int unused, int rfd, int wfd)
{
	char *b = sntl_map(JOB_PAGES * PAGE), cmd;
	struct job_state js = { 0 };
	int fd = -1;

	if (!b)
		return 1;
	memset(b, 1, JOB_PAGES * PAGE);
	if (become_member(OWNER_UID, SNTL_GID) ||
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		js.err = 2;
	else if ((fd = sntl_open()) < 0)
		js.err = 3;
	else if (job_to_fast(b))
		js.err = 4;
	else if (train_one_step(fd, b))
		js.err = 5;
	job_where(b, &js);
	if (write(wfd, &js, sizeof(js)) != sizeof(js) || js.err)
		return 10;
	while (read(rfd, &cmd, 1) == 1) {
		if (cmd == 's' && sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 2))
			js.err = 6;
		if (cmd == 'a' && job_read_acct(fd, JOB_PAGES * PAGE, &js))
			js.err = 7;
		job_where(b, &js);
		if (write(wfd, &js, sizeof(js)) != sizeof(js))
			return 11;
	}
	return 0;
}

static int job_cmd(struct target *t, char cmd, struct job_state *js)
{
	return write(t->to, &cmd, 1) == 1 &&
	       read(t->from, js, sizeof(*js)) == sizeof(*js) ? 0 : -1;
}

FIXTURE(unit_caps) {
	struct drun d;
	struct target job;
	gid_t dev_gid;		/* the device's group before the test */
	bool chowned;
	char numa_balancing[16];
};

FIXTURE_SETUP(unit_caps)
{
	const char *sentineld = sentineld_path();
	struct stat st;
	int err;

	memset(self, 0, sizeof(*self));
	self->d.pid = -1;
	self->job.pid = -1;
	if (getuid() != 0)
		SKIP(return, "runs as root (it switches uids)");
	if (!sentineld || access(sentineld, X_OK))
		SKIP(return, "sentineld not built");
	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "needs two NUMA nodes");
	/* The device as the udev rule makes it: 0660, group "sentinel". */
	ASSERT_EQ(stat(SENTINEL_DEVICE, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0660);
	self->dev_gid = st.st_gid;
	/* Only the daemon moves the job's pages: not NUMA balancing. */
	if (!sntl_numa_balancing(self->numa_balancing, sizeof(self->numa_balancing), false))
		ASSERT_EQ(sntl_numa_balancing("0", 2, true), 0);
	err = chown(SENTINEL_DEVICE, -1, SNTL_GID) ? -errno : 0;
	if (err && self->numa_balancing[0])
		sntl_numa_balancing(self->numa_balancing, sizeof(self->numa_balancing), true);
	ASSERT_EQ(err, 0);
	self->chowned = true;
}

FIXTURE_TEARDOWN(unit_caps)
{
	if (self->job.pid > 0)
		target_stop(&self->job);
	if (self->d.pid > 0)
		kill(self->d.pid, SIGKILL);
	drun_stop(&self->d);
	drun_clean(&self->d, _metadata->exit_code == KSFT_FAIL);
	if (self->chowned && chown(SENTINEL_DEVICE, -1, self->dev_gid))
		TH_LOG("cannot restore the group of %s", SENTINEL_DEVICE);
	if (self->numa_balancing[0])
		sntl_numa_balancing(self->numa_balancing, sizeof(self->numa_balancing), true);
}

/*
 * The shipped unit keeps no CAP_DAC_OVERRIDE: the job's /proc files
 * that only their owner may read (pagemap) are closed to the daemon, and
 * yet it plans for the job and moves its pages.  A fast budget of one
 * page holds none of the job's objects, so the static plan has them all
 * on node 1 whatever the profile saw, and the placement moves every page
 * there.  The loops wait for events; their limits are watchdogs only.
 * No ASSERT_*: built with -O2, the harness skips the teardown after one
 * (its longjmp), and the teardown restores the device and NUMA balancing.
 */
TEST_F_TIMEOUT(unit_caps, ordinary_user_job_migrated, 600)
{
	static const char *const sets[] = {
		"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
	};
	long long demoted = -1;
	long plans = -1, denied = -1;
	struct job_state js = { 0 };
	char *st = NULL;
	uint64_t v;
	int ms, i;

	/* The group opens the device, others may not. */
	EXPECT_EQ(open_as(OWNER_UID, SNTL_GID), 0);
	EXPECT_EQ(open_as(OTHER_UID, 0), EACCES);

	EXPECT_EQ(drun_start(&self->d, "unit", caps_as_unit, PAGE), 0);
	if (_metadata->exit_code)
		return;
	for (i = 0; i < 5; i++) {
		v = 0;
		EXPECT_EQ(proc_caps(self->d.pid, sets[i], &v), 0);
		EXPECT_EQ(v, UNIT_CAPS) TH_LOG("sentineld %s %#llx", sets[i],
					       (unsigned long long)v);
	}

	EXPECT_EQ(child_start(&self->job, job_main, 0), 0);
	if (_metadata->exit_code)
		return;
	EXPECT_EQ(read(self->job.from, &js, sizeof(js)), sizeof(js));
	EXPECT_EQ(js.err, 0);
	EXPECT_EQ(js.fast, JOB_PAGES);
	if (_metadata->exit_code)
		return;

	/* The profile is complete: the daemon plans, or refuses. */
	for (ms = 0; ms < 120000; ms += 200) {
		st = sntl_ctl(self->d.sock, "stats");
		plans = sess_field(st, self->job.pid, "plans");
		denied = sess_field(st, self->job.pid, "denied");
		free(st);
		st = NULL;
		if (plans >= 1 || denied == 1)
			break;
		sntl_sleep_ms(200);
	}
	EXPECT_EQ(denied, 0);
	EXPECT_GE(plans, 1);
	if (_metadata->exit_code)
		return;

	/* The next step begins: the placement moves the pages to node 1. */
	EXPECT_EQ(job_cmd(&self->job, 's', &js), 0);
	EXPECT_EQ(js.err, 0);
	for (ms = 0; ms < 120000 && !_metadata->exit_code; ms += 200) {
		free(st);
		EXPECT_EQ(job_cmd(&self->job, '?', &js), 0);
		st = sntl_ctl(self->d.sock, "stats");
		demoted = sess_acct(st, self->job.pid, "demoted_bytes");
		if (js.slow == JOB_PAGES && demoted >= (long long)(JOB_PAGES * PAGE))
			break;
		sntl_sleep_ms(200);
	}
	TH_LOG("job: %u of %d pages on node 1, %u on node 0; daemon: demoted %lld B",
	       js.slow, JOB_PAGES, js.fast, demoted);
	EXPECT_EQ(js.slow, JOB_PAGES);
	EXPECT_GE(demoted, (long long)(JOB_PAGES * PAGE));
	EXPECT_EQ(sess_field(st, self->job.pid, "denied"), 0);
	EXPECT_EQ(sess_field(st, self->job.pid, "placed"), 1);
	if (_metadata->exit_code && st)
		TH_LOG("stats: %s", strstr(st, "\"migration_sessions\":[") ?: st);
	free(st);
	EXPECT_FALSE(file_has(self->d.logf, "not allowed to inspect"));
	EXPECT_FALSE(file_has(self->d.logf, "move_pages on pid"));

	/* The job reads its own figures, as its own uid, with no daemon access. */
	EXPECT_EQ(job_cmd(&self->job, 'a', &js), 0);
	TH_LOG("job's own accounting: %llu updates, step %llu, %llu steps, demoted %llu B, "
	       "budget %llu", (unsigned long long)js.acct.updates,
	       (unsigned long long)js.acct.step, (unsigned long long)js.acct.steps,
	       (unsigned long long)js.acct.demoted_bytes,
	       (unsigned long long)js.acct.budget);
	EXPECT_EQ(js.err, 0);
	EXPECT_LE(1, js.acct.updates);
	EXPECT_EQ(2, js.acct.step);
	EXPECT_EQ(2, js.acct.steps);
	EXPECT_LE((unsigned long long)(JOB_PAGES * PAGE), js.acct.demoted_bytes);
	EXPECT_EQ(PAGE, js.acct.budget);

	EXPECT_EQ(target_stop(&self->job), 0);
	self->job.pid = -1;
	EXPECT_EQ(drun_stop(&self->d), 0);
}

TEST_HARNESS_MAIN
