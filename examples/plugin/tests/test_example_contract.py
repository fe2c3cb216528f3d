"""The example plug-in under pytest: boundlab.testing's batteries and a bound asserted with verify's statistics."""
from boundlab.testing import algorithm_contract, assert_equality, operator_contract

test_ternary_contract = operator_contract("ternary", d=20)
test_repeat_qsgd_contract = algorithm_contract("repeat-qsgd", {"up": "ternary", "m": 3})


def test_second_moment_is_attained_with_rand_k(boundlab_seed):
    assert_equality("repeat_second_moment", "repeat-qsgd", {"up": "randk:k=5", "m": 2},
                    problem={"N": 10, "d": 10, "L": 1.0, "mu": 0.0, "sigma": 1.0, "b": 2}, seed=boundlab_seed,
                    runs=50_000, iterations=3, at=(1, 3))
