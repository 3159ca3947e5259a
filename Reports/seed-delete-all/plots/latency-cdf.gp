set terminal svg size 760,440 noenhanced font "sans,11"
set output "latency-cdf.svg"
set title "Response time CDF (all requests of all replicates)"
set xlabel "response time (µs)"
set ylabel "fraction of requests ≤ x"
set grid
set key outside right top
set logscale x
plot "latency-cdf.dat" index 0 using 1:2 with steps lw 2 title "none", \
  '' index 1 using 1:2 with steps lw 2 title "live", \
  '' index 2 using 1:2 with steps lw 2 title "snapshot-coalesce", \
  '' index 3 using 1:2 with steps lw 2 title "mirror"
