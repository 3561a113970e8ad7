# bench/headline/analyse.awk - writer statistics of one variant of
# bench/headline.sh, from pgbench's per-transaction log.
#
#   awk -v t0=EPOCH -v t1=EPOCH -f analyse.awk MARKS LOG > STATS
#
# MARKS: one step a line, "start end label..." (epoch seconds); LOG: pgbench
# -l lines "client tx time script epoch us [lag]", in completion order.
# With --rate, pgbench measures `time` from the transaction's scheduled start
# (it includes the schedule lag, the wait of a transaction whose client was
# still stuck in an earlier one), so it is the latency a user would see;
# "skipped" replaces it for a transaction that -L dropped because it was
# already over the limit before it could start, "failed" for one that failed.
# Counted: the transactions completing in [t0, t1], except all_updates and
# all_inserts (every committed one, for the lost-write check). Output: "key value"
# lines, "lat US" lines (for the percentile, sorted by the caller), and
# "step I max_ms over1s commits" lines.
FILENAME == ARGV[1] { ms[++nm] = $1; me[nm] = $2; next }
{
	# committed writes over the whole log, for the lost-write invariants
	if ($3 != "skipped" && $3 != "failed") { if ($4 == 0) allupd++; else allins++ }
	t = $5 + $6 / 1e6
	if (t < t0 || t > t1) next
	if ($3 == "skipped") { skipped++; over++; stepcount(t, 1e9, 0); next }
	if ($3 == "failed") { failed++; next }
	lat = $3 + 0
	if (NF >= 7 && lat + 1 < $7) excl++       # would mean time excludes the lag
	commits++
	if (lat > max) max = lat
	if (lat > 1e6) over++
	print "lat", lat
	stepcount(t, lat, 1)
	if (last == "") last = t0
	if (t - last > gap) { gap = t - last; gapat = last }
	last = t
}
function stepcount(t, lat, c,    i) {
	for (i = 1; i <= nm; i++)
		if (t >= ms[i] && t <= me[i]) {
			if (lat > smax[i]) smax[i] = lat
			if (lat > 1e6) sover[i]++
			scommit[i] += c
		}
}
END {
	if (last == "") last = t0
	if (t1 - last > gap) { gap = t1 - last; gapat = last }
	printf "commits %d\nall_updates %d\nall_inserts %d\nskipped %d\nfailed %d\n", commits, allupd, allins, skipped, failed
	printf "over1s %d\nmax_ms %.1f\ngap_s %.3f\ngap_at %.3f\nlag_excluded %d\n", over, max / 1000, gap, gapat - t0, excl
	for (i = 1; i <= nm; i++)
		printf "step %d %.1f %d %d\n", i, (smax[i] >= 1e9 ? -1 : smax[i] / 1000), sover[i], scommit[i]
}
