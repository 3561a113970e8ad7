# bench/mysql/analyse.awk - one variant's writer log (mybench: "scheduled_ms
# end_ms ok kind" per transaction) over the migration's window [W0, W1] (ms
# on the writer's clock, by scheduled start): prints
#   offered N committed N failed N stall_ms X
# where stall is the longest stretch of the window with no commit. The input
# must be sorted by end time:  sort -n -k2 LOG | awk -v W0=.. -v W1=.. -f ...
# (POSIX awk: the latency percentiles are taken by sort in the script.)
$1 >= W0 && $1 <= W1 {
	offered++
	if ($3 == 1) committed++; else failed++
}
$3 == 1 && $2 >= W0 && $2 <= W1 {
	if (last == "") last = W0
	if ($2 - last > stall) stall = $2 - last
	last = $2
}
END {
	if (last == "") last = W0
	if (W1 - last > stall) stall = W1 - last
	printf "offered %d committed %d failed %d stall_ms %.0f\n", offered, committed, failed, stall
}
