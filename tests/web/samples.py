"""Captions the web tests search for, and the query that should find the cat."""

CAT = "a grey cat asleep on a red sofa"
BIKE = "a bicycle leaning on a brick wall"
BOAT = "a sailing boat on a calm blue sea"
KITTEN_QUERY = "kitten napping on the couch"
