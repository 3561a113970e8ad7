# bench/headline/plot.awk - one panel of the latency plot of bench/headline.sh:
# an SVG <g> with the writers' worst latency per time slice (log scale) and
# the steps as shaded bands. POSIX awk, so the plot needs nothing new.
#
#   awk -v w0=EPOCH -v w1=EPOCH -v y=TOP -v title=TEXT -f plot.awk MARKS LOG
#
# MARKS: "start end label..." lines; LOG: pgbench -l lines. Latencies are
# drawn at their completion time; skipped transactions (over -L before they
# started) are red ticks at the top.
BEGIN {
	W = 1000; H = 230; L = 60; R = 20; T = 34; B = 30
	pw = W - L - R; ph = H - T - B
	slice = (w1 - w0) / 400; if (slice < 0.05) slice = 0.05
	printf "<g transform=\"translate(0,%d)\">\n", y
	printf "<text x=\"%d\" y=\"16\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", L, esc(title)
}
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
function xs(t) { return L + pw * (t - w0) / (w1 - w0) }
function ys(msv) { if (msv < 1) msv = 1; if (msv > 1e5) msv = 1e5; return T + ph * (1 - log(msv) / log(1e5)) }
FILENAME == ARGV[1] {
	label = $3; for (i = 4; i <= NF; i++) label = label " " $i
	n++
	printf "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", xs($1), T,
		(xs($2) - xs($1) < 0.6 ? 0.6 : xs($2) - xs($1)), ph, (n % 2 ? "#dde6f0" : "#f0e6d6")
	# a label only where it does not overwrite the previous one
	if (n == 1 || xs($1) - lastx >= 10) {
		printf "<text transform=\"translate(%.1f,%d) rotate(-90)\" font-size=\"9\" fill=\"#555\" text-anchor=\"end\">%s</text>\n",
			xs($1) + 8, T + 2, esc(substr(label, 1, 48))
		lastx = xs($1)
	}
	next
}
{
	t = $5 + $6 / 1e6
	if (t < w0 || t > w1) next
	k = int((t - w0) / slice)
	if ($3 == "skipped") { sk[k] = 1; next }
	if ($3 == "failed") { fl[k] = 1; next }
	v = $3 / 1000
	if (!(k in mx) || v > mx[k]) mx[k] = v
	if (k > kmax) kmax = k
}
END {
	for (e = 0; e <= 5; e++) {
		v = 10 ^ e
		printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"%s\"/>\n",
			L, L + pw, ys(v), ys(v), (e == 3 ? "#c00" : "#bbb"), (e == 3 ? "6,3" : "2,3")
		printf "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>\n", L - 4, ys(v) + 3,
			(v < 1000 ? v " ms" : v / 1000 " s")
	}
	span = w1 - w0; step = 1
	while (span / step > 12) step = (step == 1 ? 2 : step == 2 ? 5 : step == 5 ? 10 : step == 10 ? 20 : step == 20 ? 30 : step == 30 ? 60 : step * 2)
	for (s = 0; s <= span; s += step)
		printf "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%d s</text>\n", xs(w0 + s), T + ph + 14, s
	printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", L, T, pw, ph
	pts = ""
	for (k = 0; k <= kmax; k++)
		if (k in mx) pts = pts sprintf(" %.1f,%.1f", xs(w0 + (k + 0.5) * slice), ys(mx[k]))
	if (pts != "") printf "<polyline fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1.2\" points=\"%s\"/>\n", pts
	for (k in sk) printf "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#c00\" stroke-width=\"2\"/>\n",
		xs(w0 + (k + 0.5) * slice), xs(w0 + (k + 0.5) * slice), T, T + 8
	for (k in fl) printf "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#000\" stroke-width=\"2\"/>\n",
		xs(w0 + (k + 0.5) * slice), xs(w0 + (k + 0.5) * slice), T + ph - 8, T + ph
	print "</g>"
}
