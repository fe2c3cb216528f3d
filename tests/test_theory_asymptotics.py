"""Growth exponents, order forms and complexities (theory/asymptotics.py), on hand-worked examples."""
import pytest
import sympy as sp

from boundlab.theory.asymptotics import compare_orders, complexity, drop_constants, growth, order_form

x, y, e, K = sp.symbols("x y e K", positive=True)


def test_growth_follows_the_expression_tree():
    w = {x: 1, y: 2}
    assert growth(1 + x, w) == 1                       # max(0, 1)
    assert growth(x * sp.sqrt(y + x), w) == 2          # 1 + max(2, 1)/2
    assert growth(sp.Min(1 / x, 1 / y), w) == -2       # min(-1, -2)
    assert growth(sp.log(x) / y, w) == -2              # logs are slowly varying
    assert growth(x / e**2, {x: 1, e: -1}) == 3        # e -> 0 like Omega^-1


def test_drop_constants_keeps_signs_and_exponents():
    assert drop_constants(8 * x + 3) == x + 1
    assert drop_constants((1 - 2 * x * y) ** 3) == (1 - x * y) ** 3
    assert drop_constants(sp.sqrt(2) / (16 * x * sp.sqrt(8 * x + y))) == 1 / (x * sp.sqrt(x + y))


def test_order_form_prunes_never_binding_pieces():
    # min(1/x, 1/(x sqrt(x + y))): the second is never larger, so 1/x never binds.
    assert order_form(sp.Min(1 / x, 1 / (x * sp.sqrt(x + y))), {x, y}, [x, y]) == 1 / (x * sp.sqrt(x + y))


def test_compare_orders():
    assert compare_orders(1 / (1 + x), 1 / (1 + x), [x, y]).verdict == "identical"
    assert compare_orders(1 / (1 + x), 1 / (2 + x), [x, y]).verdict == "same order"
    c = compare_orders(sp.Min(1 / x, 1 / y), 1 / x, [x, y])
    assert c.verdict == "differs" and c.growth_a != c.growth_b


def test_complexity_of_a_two_speed_bound():
    # bound = 2 sqrt(A/K) + B/K reaches eps, as eps -> 0, at K ~ (2 sqrt(A)/eps)^2 = 4A/eps^2.
    A, B = sp.symbols("A B", positive=True)
    assert sp.simplify(complexity(2 * sp.sqrt(A / K) + B / K, K, e) - 4 * A / e**2) == 0
    with pytest.raises(ValueError):
        complexity(A + B / K, K, e)  # does not vanish
