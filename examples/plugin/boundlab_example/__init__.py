"""An example boundlab plug-in (see boundlab's docs/verify-your-own-method.md).

Importing it registers, through boundlab's public registries:

* the operator ``ternary`` (:mod:`.operator`),
* the algorithm ``repeat-qsgd`` (:mod:`.algorithm`),
* the results ``repeat_second_moment`` and ``gamma_up_repeat`` (:mod:`.results`),
* the suite ``example`` of checks binding them (:mod:`.checks`): ``boundlab verify --suite example``.
"""
from boundlab_example import algorithm, checks, operator, results  # noqa: F401  (importing registers)
