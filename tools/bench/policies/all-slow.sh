# shellcheck shell=bash
# Lower bound: every page of the workload on node 1.
POLICY_DESC="all-slow: numactl --membind=1 (lower bound)"
POLICY_KERNELS="6.12 6.1"
POLICY_BUDGET=no
POLICY_MODULE=no
POLICY_ALLOC=malloc
POLICY_VARIANTS=default
policy_available() { return 0; }
policy_settings() { echo "membind=1"; }
policy_setup() { policy_wrap=(numactl --membind=1); }
