# shellcheck shell=bash
# sentineld's "static" policy through the plug-in point (daemon-common.sh).
DAEMON_POLICY=static
# shellcheck source=daemon-common.sh
. "${BASH_SOURCE[0]%/*}/daemon-common.sh"
POLICY_DESC="static: sentineld, placement from one profile, no migration"
