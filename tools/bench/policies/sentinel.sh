# shellcheck shell=bash
# sentineld's "sentinel" policy through the plug-in point (daemon-common.sh).
DAEMON_POLICY=sentinel
# shellcheck source=daemon-common.sh
. "${BASH_SOURCE[0]%/*}/daemon-common.sh"
POLICY_DESC="sentinel: sentineld, object-level profile-driven migration"
