# shellcheck shell=bash
# sentineld's "ial" policy through the plug-in point (daemon-common.sh).
DAEMON_POLICY=ial
# shellcheck source=daemon-common.sh
. "${BASH_SOURCE[0]%/*}/daemon-common.sh"
POLICY_DESC="ial: sentineld, page-level improved active list"
