"""boundlab.figures: plots of limit variance, convergence and tightness.

Not implemented yet: see issue 5.
"""
