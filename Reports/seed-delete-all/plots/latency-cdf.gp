set terminal svg size 760,440 noenhanced font "sans,11"
set output "latency-cdf.svg"
set title "Response time CDF (all requests of all replicates); up to 0.1302 % took no time"
set xlabel "response time (ms)"
set ylabel "fraction of requests ≤ x"
set grid
set key outside right top
set xrange [0.026112:*]
plot "latency-cdf.dat" index 0 using 1:2 with steps lw 4.00 dt 1 lc rgb "#0072B2" title "none", \
  '' index 1 using 1:2 with steps lw 3.38 dt 2 lc rgb "#D55E00" title "sm", \
  '' index 2 using 1:2 with steps lw 2.75 dt 3 lc rgb "#009E73" title "force", \
  '' index 3 using 1:2 with steps lw 2.12 dt 4 lc rgb "#CC79A7" title "live-only", \
  '' index 4 using 1:2 with steps lw 1.50 dt 5 lc rgb "#E69F00" title "mirror"
