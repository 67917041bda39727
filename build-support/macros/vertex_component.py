# BUILD-file macros, loaded into every BUILD file by `[GLOBAL].build_file_prelude_globs` in pants.toml.
# Pants evaluates this file itself (it is not a Python module of the project): see
# docs/adding-a-component.md.


def vertex_component(entry_module=None, runtime_files=None, overrides=None, **kwargs):
    """Every target of one pipeline-step component, from its folder name.

    A component lives in `components/<name>/` with its code in the package `<name>/`. This defines:
      - `:lib`, the package's sources (`overrides` as in `python_sources`);
      - one `resources` target per entry of `runtime_files` (target name -> globs), for files read at
        run time (SQL, templates); the modules that read them name the target in `overrides`;
      - `:sources`, a PEX of the package and the shared lib modules it imports, without third-party
        requirements: those are in the base image (images/base), so the code is its own thin layer;
      - `:image`, the component's image: the base image plus that code, tagged by content hash.
        It runs `python3 -m <entry_module>` (default: the package, i.e. its `__main__`).
    Tests live in `components/<name>/tests/` with their own BUILD file (`vertex_component_tests`).
    """
    name = build_file_dir().name
    # A component builds on the shared library and its requirements, never on another component, a
    # pipeline or the CLI; its tests (components/<name>/tests) inherit the same rules.
    __dependencies_rules__(
        (
            "*",
            f"//components/{name}/**",
            "//libs/**",
            "//images/**",  # the base image; the image tests' recorded sizes
            "//3rdparty/**",
            "!*",
        ),
    )
    for target_name, globs in (runtime_files or {}).items():
        resources(name=target_name, sources=globs)
    python_sources(name="lib", sources=[f"{name}/**/*.py"], overrides=overrides or {})
    pex_binary(
        name="sources",
        # The wrapper (component.py) runs inside the image through `python3 -m kfp.dsl.executor_main`,
        # so the whole package goes in, not only what an entry point would import.
        dependencies=[":lib"],
        include_requirements=False,
        include_tools=True,  # the image installs the PEX with PEX_TOOLS
        layout="packed",
    )
    entry = entry_module or name
    docker_image(
        name="image",
        image_tags=["{pants.hash}", "latest"],
        instructions=[
            # Pants replaces the target address with the base image it built for this commit.
            "ARG BASE_IMAGE=images/base:base",
            "FROM ${BASE_IMAGE} AS sources",
            f"COPY components.{name}/sources.pex /tmp/sources.pex",
            # As the base's unprivileged user, into its home: no build step runs as root.
            "RUN PEX_TOOLS=1 python3.11 /tmp/sources.pex venv --compile /home/app/sources",
            "FROM ${BASE_IMAGE}",
            # Only the first-party code: the base's venv already holds every requirement. Owned by
            # root like the rest of /opt/app, so the unprivileged user cannot change the code it runs.
            "COPY --from=sources --chown=0:0 /home/app/sources/lib/python3.11/site-packages/ "
            "/opt/app/lib/python3.11/site-packages/",
            f'ENTRYPOINT ["python3", "-m", "{entry}"]',
        ],
        **kwargs,
    )


def vertex_component_tests(fixtures=None, image_test=True, **kwargs):
    """The tests of the component in the parent folder: `:tests`, and `:image-tests` (tag `docker`)
    for `test_<name>_image.py`, which run the real image and so build it first.

    `fixtures`: a module of pytest fixtures loaded through `pytest_plugins` (which inference
    cannot see), e.g. "train_fixtures.py".
    """
    name = build_file_dir().parent.name
    image_tests = f"test_{name}_image.py"
    extra = [":fixtures"] if fixtures else []
    if fixtures:
        python_test_utils(name="fixtures", sources=[fixtures])
    python_tests(
        name="tests",
        sources=["test_*.py", f"!{image_tests}"],
        dependencies=extra + list(kwargs.pop("dependencies", [])),
        **kwargs,
    )
    if image_test:
        python_tests(
            name="image-tests",
            sources=[image_tests],
            dependencies=[*extra, "images:recorded-sizes"],
            # Builds the image first; needs a Docker engine (build-support/ensure-docker.sh).
            runtime_package_dependencies=[f"components/{name}:image"],
            tags=["docker"],
        )
