# %% [markdown]
# ## Code exercises, checked
#
# Write each piece in the cell given, then run the check below it: it answers at once, with a hint
# when something is wrong. The solutions are in the repository's `solutions/` folder — try first.

# %% [markdown]
# **Exercise 01.linear — a Linear layer.** `nn.Linear(n, m)` stores `weight` of shape $(m, n)$ and
# `bias` of shape $(m,)$ and computes $y = x W^\top + b$ for a batch $x$ of shape $(B, n)$.
# Write that forward pass with `@`.

# %% exercise 01.linear
def linear(x, weight, bias):
    """y = x W^T + b: x (batch, n), weight (m, n), bias (m,) -> (batch, m)."""
    ### BEGIN SOLUTION
    return x @ weight.T + bias
    ### END SOLUTION

# %% check 01.linear
lk.exercises.check("01.linear", linear)

# %% [markdown]
# **Exercise 01.cross_entropy — a loss that does not overflow.** For logits $z$ (one row per image)
# and targets $t$, the loss is the mean over the batch of
# $-\log \operatorname{softmax}(z)_t = \log \sum_j e^{z_j} - z_t$.
# $e^{1000}$ is infinite in float32: use $\log \sum_j e^{z_j} = m + \log \sum_j e^{z_j - m}$ with $m = \max_j z_j$.

# %% exercise 01.cross_entropy
def cross_entropy(logits, targets):
    """The mean cross-entropy of logits (batch, classes) against integer targets (batch,)."""
    ### BEGIN SOLUTION
    largest = logits.max(dim=1, keepdim=True).values
    log_sum_exp = largest.squeeze(1) + (logits - largest).exp().sum(dim=1).log()
    return (log_sum_exp - logits[range(len(targets)), targets]).mean()
    ### END SOLUTION

# %% check 01.cross_entropy
lk.exercises.check("01.cross_entropy", cross_entropy)
