set terminal svg size 760,440 noenhanced font "sans,11"
set output "latency-cdf.svg"
set title "Response time CDF (all requests of all replicates)"
set xlabel "response time (min)"
set ylabel "fraction of requests ≤ x"
set grid
set key outside right top
set logscale x
set xrange [1.747626667e-05:*]
plot "latency-cdf.dat" index 0 using 1:2 with steps lw 4.00 dt 1 lc rgb "#0072B2" title "sm vms.rate=5.0", \
  '' index 1 using 1:2 with steps lw 3.77 dt 2 lc rgb "#0072B2" title "sm vms.rate=20.0", \
  '' index 2 using 1:2 with steps lw 3.55 dt 3 lc rgb "#0072B2" title "sm vms.rate=60.0", \
  '' index 3 using 1:2 with steps lw 3.32 dt 4 lc rgb "#D55E00" title "sm-2024-10 vms.rate=5.0", \
  '' index 4 using 1:2 with steps lw 3.09 dt 5 lc rgb "#D55E00" title "sm-2024-10 vms.rate=20.0", \
  '' index 5 using 1:2 with steps lw 2.86 dt 1 lc rgb "#D55E00" title "sm-2024-10 vms.rate=60.0", \
  '' index 6 using 1:2 with steps lw 2.64 dt 2 lc rgb "#009E73" title "sm-2024-08 vms.rate=5.0", \
  '' index 7 using 1:2 with steps lw 2.41 dt 3 lc rgb "#009E73" title "sm-2024-08 vms.rate=20.0", \
  '' index 8 using 1:2 with steps lw 2.18 dt 4 lc rgb "#009E73" title "sm-2024-08 vms.rate=60.0", \
  '' index 9 using 1:2 with steps lw 1.95 dt 5 lc rgb "#CC79A7" title "sm-2022 vms.rate=5.0", \
  '' index 10 using 1:2 with steps lw 1.73 dt 1 lc rgb "#CC79A7" title "sm-2022 vms.rate=20.0", \
  '' index 11 using 1:2 with steps lw 1.50 dt 2 lc rgb "#CC79A7" title "sm-2022 vms.rate=60.0"
