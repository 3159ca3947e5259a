set terminal svg size 760,440 noenhanced font "sans,11"
set output "cdf-depth8-iodepth1.svg"
set title "Response time CDF, chain depth 8, iodepth 1"
set xlabel "response time (µs)"
set ylabel "fraction of requests"
set grid
set key outside right top
set logscale x
plot "cdf-depth8-iodepth1.dat" index 0 using 1:2 with steps lw 4.00 dt 1 lc rgb "#0072B2" title "real", \
  '' index 1 using 1:2 with steps lw 1.50 dt 2 lc rgb "#D55E00" title "simulated (vda-ext4)"
