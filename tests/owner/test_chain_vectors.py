from tests.owner import chainvectors


def test_the_go_modules_pairing_vectors_are_what_the_python_side_makes():
    with open(chainvectors.PATH) as f:
        assert f.read() == chainvectors.text()
