"""The factories a space names, and the resume flags that allow exactly them."""

from pipeline._util.factories import named_factories, resume_flags


def test_named_factories_are_every_module_function_path_once():
    space = {
        "dataset": {"factory": "my_data:build", "n": 3},
        "model": {"factory": "nets.small:make"},
        "search": {"candidate_group": ["trivial", "my_groups:wobble", "SO2"]},
        "study_storage": "sqlite:///tmp/x.db",  # a URL, not a factory
        "store": "s3://bucket/path",
        "again": ["my_data:build"],
    }
    assert named_factories(space) == ["my_data:build", "my_groups:wobble", "nets.small:make"]
    assert resume_flags(named_factories(space)) == (
        " --allow-factory my_data:build --allow-factory my_groups:wobble"
        " --allow-factory nets.small:make"
    )
    assert resume_flags(named_factories({"dataset": {"name": "digits"}})) == ""
