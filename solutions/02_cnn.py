# %% [markdown]
# ## Code exercises, checked
#
# Write each piece in the cell given, then run the check below it: it answers at once, with a hint
# when something is wrong. The solutions are in the repository's `solutions/` folder — try first.

# %% [markdown]
# **Exercise 02.output_size — how large is the output?** A convolution with kernel $k$, stride $s$
# and padding $p$ on an image of side $n$ has an output of side
# $\lfloor (n + 2p - k) / s \rfloor + 1$. Write it (whole numbers only).

# %% exercise 02.output_size
def output_size(size, kernel, stride, padding):
    """The side of a convolution's output."""
    ### BEGIN SOLUTION
    return (size + 2 * padding - kernel) // stride + 1
    ### END SOLUTION

# %% check 02.output_size
lk.exercises.check("02.output_size", output_size)

# %% [markdown]
# **Exercise 02.conv2d — a convolution as one matrix product.** `torch.nn.functional.unfold` cuts an
# image into its $k_h \times k_w$ patches, one column per output position: shape
# $(B, C_\text{in} k_h k_w, L)$. A convolution is then the product of the weights, reshaped to
# $(C_\text{out}, C_\text{in} k_h k_w)$, with those columns, plus the bias; reshape the result to
# $(B, C_\text{out}, H_\text{out}, W_\text{out})$ (use your `output_size` for each side). The check
# also tries an image and a kernel that are not square, where a swap of height and width shows.

# %% exercise 02.conv2d
import torch.nn.functional as F


def conv2d(x, weight, bias, stride, padding):
    """The same as F.conv2d(x, weight, bias, stride=stride, padding=padding), written with unfold."""
    ### BEGIN SOLUTION
    out_channels, _, kernel_h, kernel_w = weight.shape
    columns = F.unfold(x, (kernel_h, kernel_w), padding=padding, stride=stride)  # (B, C_in k_h k_w, L)
    out = weight.reshape(out_channels, -1) @ columns + bias[:, None]             # (B, C_out, L)
    height = (x.shape[2] + 2 * padding - kernel_h) // stride + 1
    width = (x.shape[3] + 2 * padding - kernel_w) // stride + 1
    return out.reshape(x.shape[0], out_channels, height, width)
    ### END SOLUTION

# %% check 02.conv2d
lk.exercises.check("02.conv2d", conv2d)
