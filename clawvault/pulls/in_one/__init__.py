"""The pull's second way: PostgreSQL, a user who has a seed, the whole pull in one statement
(`bench/second_ways.py` measured it at 1.78x a pull of ten card by card). All of it is here:
the statement (`statement`), its first read shared by the pulls in flight (`rounds`), and the
way itself (`way.pull_in_one`). The way every pull can take is `pulls.service.pull_card_by_card`;
both give the same rows and answers (tests/pulls/test_pull_in_one.py)."""
