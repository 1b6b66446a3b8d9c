# shellcheck shell=bash
# Upper bound: every page on node 0, no budget.
POLICY_DESC="all-fast: everything on node 0, budget unlimited (upper bound)"
POLICY_KERNELS="6.12 6.1"
POLICY_BUDGET=no
POLICY_MODULE=no
POLICY_ALLOC=malloc
POLICY_VARIANTS=default
policy_available() { return 0; }
policy_settings() { echo "membind=0"; }
policy_setup() { policy_wrap=(numactl --membind=0); }
