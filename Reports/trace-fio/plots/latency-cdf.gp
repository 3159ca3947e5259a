set terminal svg size 760,440 noenhanced font "sans,11"
set output "latency-cdf.svg"
set title "Response time CDF (all requests of all replicates)"
set xlabel "response time (µs)"
set ylabel "fraction of requests ≤ x"
set grid
set key outside right top
set xrange [6.784:*]
plot "latency-cdf.dat" index 0 using 1:2 with steps lw 4.00 dt 1 lc rgb "#0072B2" title "batmap-on chain.depth=1", \
  '' index 1 using 1:2 with steps lw 3.17 dt 2 lc rgb "#0072B2" title "batmap-on chain.depth=8", \
  '' index 2 using 1:2 with steps lw 2.33 dt 3 lc rgb "#D55E00" title "batmap-off chain.depth=1", \
  '' index 3 using 1:2 with steps lw 1.50 dt 4 lc rgb "#D55E00" title "batmap-off chain.depth=8"
