# shellcheck shell=bash
# sentineld's "sentinel" policy through the plug-in point (daemon-common.sh).
# Variant "wait": the workload's layers wait at their begin for the moves
# the daemon has due there (libsentinel's SENTINEL_WAIT_MOVES); the lab
# charges each phase the longer of the training vCPU's work and the
# daemon's (vCPU 0), so a wait costs what the migration it waits for does.
# Variant "hybrid": sentineld's hybrid_plan = on (a fixed placement plus
# only the windows that pay is a candidate beside the interval plan).
DAEMON_POLICY=sentinel
# shellcheck source=daemon-common.sh
. "${BASH_SOURCE[0]%/*}/daemon-common.sh"
POLICY_VARIANTS="default wait hybrid"
POLICY_DESC="sentinel: sentineld, object-level profile-driven migration"
policy_settings() {
	daemon_settings
	[ "$VARIANT" = wait ] && echo "SENTINEL_WAIT_MOVES=1 (layers wait for their moves)"
	[ "$VARIANT" = hybrid ] && echo "hybrid_plan=on (sentineld.conf)"
	true
}
policy_setup() {
	[ "$VARIANT" = wait ] && policy_wrap=(env SENTINEL_WAIT_MOVES=1 numactl --localalloc)
	[ "$VARIANT" = hybrid ] && DAEMON_EXTRA_CONF="hybrid_plan = on"
	daemon_setup
}
