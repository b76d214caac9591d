"""Energy: counter readings -> 15-minute slot energies (the pure ``counters`` core), the
incremental rollup job (``rollup``), the topology's node sums and sub-metering balance
(``nodes``), and the API's services (``operations``). docs/energy.md."""
