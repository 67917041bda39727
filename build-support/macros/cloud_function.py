# BUILD-file macro, loaded into every BUILD file by `[GLOBAL].build_file_prelude_globs` in pants.toml.
# Pants evaluates this file itself (it is not a Python module of the project).


def cloud_function_zip(name, module, entry_point, type, complete_platforms):
    """`:<name>`: a Cloud Functions (2nd gen) source zip, ready to deploy, whose entry point is `entry_point`.

    `python_google_cloud_function` bundles the code and every third-party wheel, unpacked, with a
    root main.py that re-exports the function only as `handler`. Deploys name their entry point
    (`start_scheduled_run`, ...), so this adds that name to main.py and zips the tree again:
      - `:<name>-bundle`, Pants' own zip; `:<name>-tree`, it unpacked with the name added;
      - `:<name>`, the zip to deploy: dist/<dir>/<name>.zip (`./pants package`).
    `module` is the handler's file relative to the BUILD file, e.g. "triggers/main.py".
    """
    python_google_cloud_function(
        name=f"{name}-bundle",
        handler=f"{module}:{entry_point}",
        type=type,
        complete_platforms=complete_platforms,
    )
    here = build_file_dir()
    import_path = module.removesuffix(".py").replace("/", ".")
    line = f"from {import_path} import {entry_point}  # noqa: E402,F401 (the deployed entry point)"
    bundle = "/".join([".."] * len(here.parts)) + f"/{'.'.join(here.parts)}/{name}-bundle.zip"
    shell_command(
        name=f"{name}-tree",
        command=f"unzip -q {bundle} -d tree && printf '\\n%s\\n' '{line}' >> tree/main.py",
        tools=["unzip"],
        execution_dependencies=[f":{name}-bundle"],
        output_directories=["tree"],
        root_output_directory=f"{here}/tree",
    )
    archive(name=name, format="zip", files=[f":{name}-tree"])
