set terminal svg size 760,440 noenhanced font "sans,11"
set output "chain-depth.svg"
set title "Chain depth over time (mean over replicates)"
set xlabel "simulated time (s)"
set ylabel "deepest chain (levels)"
set grid
set key outside right top
plot "chain-depth.dat" index 0 using 1:2 with steps lw 2 title "none", \
  '' index 1 using 1:2 with steps lw 2 title "live", \
  '' index 2 using 1:2 with steps lw 2 title "snapshot-coalesce", \
  '' index 3 using 1:2 with steps lw 2 title "mirror"
