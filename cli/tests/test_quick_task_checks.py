"""kfp's task setters keep their check under `quick_task_checks` (which only drops kfp's costly
`inspect.stack()`): a setter on a task that has no container fails with kfp's own message."""

# No `from __future__ import annotations`: kfp reads the components' annotations as types.

import pytest
from kfp import dsl

from mlops_cli.sdk_internals import quick_task_checks


@dsl.component(install_kfp_package=False)
def echo(text: str) -> str:
    return text


@dsl.pipeline(name="inner")
def inner(text: str) -> None:
    echo(text=text)


def build(setter: str) -> None:
    @dsl.pipeline(name="outer")
    def outer() -> None:
        task = inner(text="x")  # a pipeline used as a component: no container spec
        getattr(task, setter)(*{"set_env_variable": ("A", "1"), "set_cpu_limit": ("1",)}[setter])

    assert outer is not None


@pytest.mark.parametrize("setter", ["set_env_variable", "set_cpu_limit"])
def test_the_check_and_its_message_are_kfps(setter: str) -> None:
    with pytest.raises(ValueError) as kfps:
        build(setter)
    with quick_task_checks(), pytest.raises(ValueError) as ours:
        build(setter)
    assert str(ours.value) == str(kfps.value)
    assert str(ours.value).startswith(f"{setter} can only be used on single-step components")


def test_a_task_with_a_container_is_configured_as_before() -> None:
    with quick_task_checks():

        @dsl.pipeline(name="plain")
        def plain() -> None:
            echo(text="x").set_env_variable("A", "1").set_cpu_limit("1")

    assert plain is not None
