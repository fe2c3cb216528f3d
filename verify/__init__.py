"""boundlab.verify: checks of every bound against simulation.

Not implemented yet: see issue 4.
"""
