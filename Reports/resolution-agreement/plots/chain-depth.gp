set terminal svg size 760,440 noenhanced font "sans,11"
set output "chain-depth.svg"
set title "Chain depth over time (mean over replicates)"
set xlabel "simulated time (hours)"
set ylabel "deepest chain (levels)"
set grid
set key outside right top
plot "chain-depth.dat" index 0 using 1:2 with steps lw 4.00 dt 1 lc rgb "#0072B2" title "request", \
  '' index 1 using 1:2 with steps lw 1.50 dt 2 lc rgb "#D55E00" title "epoch"
