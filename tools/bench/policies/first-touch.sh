# shellcheck shell=bash
# Linux's default: a page goes to node 0 while it has free memory above
# the low watermark, then to node 1; nothing moves afterwards.
POLICY_DESC="first-touch: default local allocation, no migration"
POLICY_KERNELS="6.12 6.1"
POLICY_BUDGET=yes
POLICY_MODULE=no
POLICY_ALLOC=malloc
POLICY_VARIANTS=default
policy_available() { return 0; }
policy_settings() { echo "numa_balancing=0"; echo "demotion_enabled=false"; }
