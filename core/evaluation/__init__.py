"""Evaluation: did a tuned model gain an inner life, and did it keep its general abilities?

Probes (editable files in the project) are answered by each model in a subprocess and cached; pairs of
answers are judged blind by a person (the arena) or by the teacher (both orders); the statistics say how
sure we are, and the stage decision turns a staged build's runs into "gains continue", "plateau" or
"regression".
"""
