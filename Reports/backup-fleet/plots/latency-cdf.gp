set terminal svg size 760,440 noenhanced font "sans,11"
set output "latency-cdf.svg"
set title "Response time CDF (all requests of all replicates); up to 7.389 % took no time"
set xlabel "response time (ms)"
set ylabel "fraction of requests ≤ x"
set grid
set key outside right top
set logscale x
set xrange [0.086016:*]
plot "latency-cdf.dat" index 0 using 1:2 with steps lw 4.00 dt 1 lc rgb "#0072B2" title "per-sr", \
  '' index 1 using 1:2 with steps lw 1.50 dt 2 lc rgb "#D55E00" title "per-tree"
