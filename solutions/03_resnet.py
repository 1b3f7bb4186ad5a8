# %% [markdown]
# ## Code exercises, checked
#
# Write each piece in the cell given, then run the check below it: it answers at once, with a hint
# when something is wrong. The solutions are in the repository's `solutions/` folder — try first.

# %% [markdown]
# **Exercise 03.residual_block — a residual MLP block.** Two Linear layers of the same width compute
# $F(x) = W_2\,\mathrm{relu}(W_1 x + b_1) + b_2$; the block returns $\mathrm{relu}(x + F(x))$.
# The shortcut has no weights, so the block has exactly the parameters of its plain twin.

# %% exercise 03.residual_block
from torch import nn


class ResidualBlock(nn.Module):
    """y = relu(x + fc2(relu(fc1(x)))), two Linear(width, width) layers."""

    def __init__(self, width):
        super().__init__()
        ### BEGIN SOLUTION
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return (x + self.fc2(self.fc1(x).relu())).relu()
        ### END SOLUTION

# %% check 03.residual_block
lk.exercises.check("03.residual_block", ResidualBlock)

# %% [markdown]
# **Exercise 03.zero_pad_shortcut — a shortcut across a change of shape.** Where a stage halves the
# image and widens the channels, $x$ cannot be added to $F(x)$ as it is. He et al.'s option A takes
# every `stride`-th pixel and pads the new channels with zeros: no weights at all. The zero channels
# go after the existing ones: channels $0, \dots, C-1$ are $x$'s, channels $C, \dots,$ `out_channels`$-1$ are 0.

# %% exercise 03.zero_pad_shortcut
import torch.nn.functional as F


def shortcut(x, out_channels, stride):
    """x (B, C, H, W) -> (B, out_channels, H / stride, W / stride): subsample, then zero channels after x's."""
    ### BEGIN SOLUTION
    x = x[:, :, ::stride, ::stride]
    return F.pad(x, (0, 0, 0, 0, 0, out_channels - x.shape[1]))
    ### END SOLUTION

# %% check 03.zero_pad_shortcut
lk.exercises.check("03.zero_pad_shortcut", shortcut)
