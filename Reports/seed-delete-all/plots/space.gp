set terminal svg size 760,440 noenhanced font "sans,11"
set output "space.svg"
set title "Space allocated on the SR over time (mean over replicates)"
set xlabel "simulated time (min)"
set ylabel "allocated (GiB)"
set grid
set key outside right top
plot "space.dat" index 0 using 1:2 with lines lw 4.00 dt 1 lc rgb "#0072B2" title "none", \
  '' index 1 using 1:2 with lines lw 3.38 dt 2 lc rgb "#D55E00" title "sm", \
  '' index 2 using 1:2 with lines lw 2.75 dt 3 lc rgb "#009E73" title "force", \
  '' index 3 using 1:2 with lines lw 2.12 dt 4 lc rgb "#CC79A7" title "live-only", \
  '' index 4 using 1:2 with lines lw 1.50 dt 5 lc rgb "#E69F00" title "mirror"
