import unittest

from hello import greeting


class GreetingTest(unittest.TestCase):
    def test_default(self):
        self.assertEqual(greeting(), "hello, world")

    def test_name(self):
        self.assertEqual(greeting("marathon"), "hello, marathon")
