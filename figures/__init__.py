"""boundlab.figures: the paper's pictures from simulation, with the theory drawn over the data.

One module per figure, each with ``Settings`` (or the input table), ``compute`` (the tidy table
that is plotted, and its metadata), ``plot`` (a matplotlib figure from that table alone) and
``make`` (compute, plot, write PNG + PDF + CSV + meta.json):

1. :mod:`~boundlab.figures.limit_variance`: stationary excess loss against omega_dwn at one
   fixed step, Diana, Artemis, Dore, MCM, Rand-MCM; MCM's exact bound [S] and the baselines'
   order-level curves [O] over the points.
2. :mod:`~boundlab.figures.convergence`: excess loss against iterations and against bits, on the
   paper's synthetic least squares and on a quadratic.
3. :mod:`~boundlab.figures.tightness`: measured/bound ratio of every ``boundlab verify`` check.
4. :mod:`~boundlab.figures.step_sizes`: gamma_max and its three pieces against omega, MCM against
   the degraded algorithms.

The command line is :mod:`~boundlab.figures.cli_figures` (``boundlab figures --out DIR``).
"""
