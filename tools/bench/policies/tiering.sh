# shellcheck shell=bash
# Linux NUMA-balancing memory tiering (6.12): kswapd demotes cold pages
# from node 0 to node 1 when node 0 runs short; NUMA hint faults promote
# node-1 pages that are touched again within hot_threshold_ms.  The
# kernel's time constants are in wall-clock time, and a lab step lasts
# seconds, so the candidates shorten the scan period (default 1 s min,
# 60 s max) and, in "hot5s", lengthen the hot threshold.
POLICY_DESC="tiering: NUMA-balancing tiering mode (numa_balancing=2, demotion on)"
POLICY_KERNELS="6.12"
POLICY_BUDGET=yes
POLICY_MODULE=no
POLICY_ALLOC=malloc
POLICY_VARIANTS="scan100 default hot5s"

# variant -> scan_period_min_ms scan_period_max_ms scan_delay_ms hot_threshold_ms rate_limit_MBps
tiering_values() {
	case $VARIANT in
	default) echo 1000 60000 1000 1000 65536 ;;
	scan100) echo 100 1000 100 1000 65536 ;;
	hot5s) echo 100 1000 100 5000 65536 ;;
	*) echo "tiering: unknown variant '$VARIANT'" >&2; return 1 ;;
	esac
}
policy_available() { return 0; }
policy_settings() {
	local v
	v=($(tiering_values))
	echo "kernel.numa_balancing=2"
	echo "demotion_enabled=true"
	echo "scan_period_min_ms=${v[0]}"
	echo "scan_period_max_ms=${v[1]}"
	echo "scan_delay_ms=${v[2]}"
	echo "hot_threshold_ms=${v[3]}"
	echo "numa_balancing_promote_rate_limit_MBps=${v[4]}"
}
policy_setup() {
	local v d=/sys/kernel/debug/sched/numa_balancing t0 t1
	v=($(tiering_values))
	# Node 1 must be in a lower tier than node 0 (HMAT).
	t0= t1=
	for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
		grep -qx 0 "$t/nodelist" && t0=${t##*memory_tier}
		grep -qx 1 "$t/nodelist" && t1=${t##*memory_tier}
	done
	[ -n "$t0" ] && [ -n "$t1" ] && [ "$t1" -gt "$t0" ] ||
		{ echo "tiering: node 1 is not in a lower memory tier than node 0" >&2; return 1; }
	echo true >/sys/kernel/mm/numa/demotion_enabled
	echo "${v[0]}" >"$d/scan_period_min_ms"
	echo "${v[1]}" >"$d/scan_period_max_ms"
	echo "${v[2]}" >"$d/scan_delay_ms"
	echo "${v[3]}" >"$d/hot_threshold_ms"
	sysctl -q kernel.numa_balancing_promote_rate_limit_MBps="${v[4]}"
	sysctl -q kernel.numa_balancing=2
}
policy_teardown() {
	sysctl -q kernel.numa_balancing=0
	echo false >/sys/kernel/mm/numa/demotion_enabled
}
