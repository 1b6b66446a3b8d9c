# shellcheck shell=bash
# DAMON-based tiering (6.12), configured through /sys/kernel/mm/damon/admin
# in the manner SK hynix's HMSDK describes: one kdamond per node in
# physical-address mode; on node 0, DAMOS migrate_cold to node 1 for
# regions not accessed for a while; on node 1, DAMOS migrate_hot to node 0
# for regions with 5-100% of the samples accessed; both under a quota and
# a memcg filter (the workload's cgroup, /bench, so that nothing else, the
# budget balloon included, is moved).  HMSDK's time constants (demote
# after 30 s idle, 20-s quota intervals) are for steps of milliseconds;
# a lab step lasts seconds of wall time, so the candidates scale them.
POLICY_DESC="damon: DAMOS migrate_cold (node 0 -> 1) and migrate_hot (node 1 -> 0)"
POLICY_KERNELS="6.12"
POLICY_BUDGET=yes
POLICY_MODULE=no
POLICY_ALLOC=malloc
POLICY_VARIANTS="a100ms b500ms"

# variant -> sample_us aggr_us update_us cold_min_age(aggregations)
#            quota_reset_ms quota_bytes
damon_values() {
	case $VARIANT in
	a100ms) echo 5000 100000 1000000 20 1000 67108864 ;;
	b500ms) echo 25000 500000 2000000 6 1000 67108864 ;;
	*) echo "damon: unknown variant '$VARIANT'" >&2; return 1 ;;
	esac
}
policy_available() { return 0; }
policy_settings() {
	local v
	v=($(damon_values))
	echo "operations=paddr (one kdamond per node)"
	echo "sample_us=${v[0]}"
	echo "aggr_us=${v[1]}"
	echo "update_us=${v[2]}"
	echo "nr_regions=10..1000"
	echo "node0: migrate_cold target_nid=1, nr_accesses=0..0, age>=${v[3]} aggregations ($(( v[3] * v[1] / 1000 )) ms)"
	echo "node1: migrate_hot target_nid=0, nr_accesses=5..100% of samples, any age"
	echo "quota=${v[5]} bytes per ${v[4]} ms each, weights sz 0 / nr_accesses 1000 / age 1000"
	echo "filter: memcg /bench only"
}

damon_span() { # node -> "start end" physical addresses of its memory blocks
	local bs ids
	bs=$(( 0x$(cat /sys/devices/system/memory/block_size_bytes) ))
	ids=$(ls -d /sys/devices/system/node/node"$1"/memory[0-9]* | sed 's/.*memory//' | sort -n)
	echo $(( $(head -n1 <<<"$ids") * bs )) $(( ($(tail -n1 <<<"$ids") + 1) * bs ))
}

damon_scheme() { # dir action target_nid min_acc max_acc min_age quota_ms quota_bytes reset_ms
	local s=$1
	echo "$2" >"$s/action"
	echo "$3" >"$s/target_nid"
	echo 4096 >"$s/access_pattern/sz/min"
	echo $(( 1 << 62 )) >"$s/access_pattern/sz/max"
	echo "$4" >"$s/access_pattern/nr_accesses/min"
	echo "$5" >"$s/access_pattern/nr_accesses/max"
	echo "$6" >"$s/access_pattern/age/min"
	echo 4294967295 >"$s/access_pattern/age/max"
	echo 0 >"$s/quotas/ms"
	echo "$7" >"$s/quotas/bytes"
	echo "$8" >"$s/quotas/reset_interval_ms"
	echo 0 >"$s/quotas/weights/sz_permil"
	echo 1000 >"$s/quotas/weights/nr_accesses_permil"
	echo 1000 >"$s/quotas/weights/age_permil"
	echo none >"$s/watermarks/metric"
	echo 1 >"$s/filters/nr_filters"
	echo memcg >"$s/filters/0/type"
	echo /bench >"$s/filters/0/memcg_path"
	# Filter out what does not match: only the workload's pages move.
	echo N >"$s/filters/0/matching"
}

policy_setup() {
	local v a=/sys/kernel/mm/damon/admin/kdamonds k c span samples
	v=($(damon_values))
	[ -d "$a" ] || { echo "damon: $a missing" >&2; return 1; }
	samples=$(( v[1] / v[0] ))
	echo 2 >"$a/nr_kdamonds"
	for k in 0 1; do
		c=$a/$k/contexts
		echo 1 >"$c/nr_contexts"
		echo paddr >"$c/0/operations"
		echo "${v[0]}" >"$c/0/monitoring_attrs/intervals/sample_us"
		echo "${v[1]}" >"$c/0/monitoring_attrs/intervals/aggr_us"
		echo "${v[2]}" >"$c/0/monitoring_attrs/intervals/update_us"
		echo 10 >"$c/0/monitoring_attrs/nr_regions/min"
		echo 1000 >"$c/0/monitoring_attrs/nr_regions/max"
		echo 1 >"$c/0/targets/nr_targets"
		echo 1 >"$c/0/targets/0/regions/nr_regions"
		span=($(damon_span "$k"))
		echo "${span[0]}" >"$c/0/targets/0/regions/0/start"
		echo "${span[1]}" >"$c/0/targets/0/regions/0/end"
		echo 1 >"$c/0/schemes/nr_schemes"
	done
	damon_scheme "$a/0/contexts/0/schemes/0" migrate_cold 1 0 0 "${v[3]}" \
		"${v[5]}" "${v[4]}"
	damon_scheme "$a/1/contexts/0/schemes/0" migrate_hot 0 \
		$(( (samples * 5 + 99) / 100 )) "$samples" 0 "${v[5]}" "${v[4]}"
	for k in 0 1; do
		echo on >"$a/$k/state"
		taskset -p -c 0 "$(cat "$a/$k/pid")" >/dev/null
	done
}
policy_teardown() {
	local a=/sys/kernel/mm/damon/admin/kdamonds k s f
	{
		printf '{'
		for k in 0 1; do
			echo update_schemes_stats >"$a/$k/state"
			s=$a/$k/contexts/0/schemes/0
			printf '%s"kdamond%d":{"action":"%s"' "$([ "$k" = 0 ] || echo ,)" "$k" "$(cat "$s/action")"
			for f in nr_tried sz_tried nr_applied sz_applied qt_exceeds; do
				printf ',"%s":%s' "$f" "$(cat "$s/stats/$f")"
			done
			printf '}'
		done
		printf '}\n'
	} >"$CASE_DIR/policy.json"
	for k in 0 1; do
		echo off >"$a/$k/state"
	done
}
