from tests.conftest import Todo


def test_add_then_list_shows_the_task(todo: Todo) -> None:
    added = todo("add", "Buy milk", "--json")
    assert added.exit_code == 0, added.stderr
    listed = todo("list", "--json")
    assert [t["title"] for t in listed.json()] == ["Buy milk"]
