"""boundlab.simulate: the simulation engine (algorithms, problems, compressors).

Not implemented yet: see issue 3.
"""
