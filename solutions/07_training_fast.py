# %% [markdown]
# ## Code exercises, checked
#
# Write each piece in the cell given, then run the check below it: it answers at once, with a hint
# when something is wrong. The solutions are in the repository's `solutions/` folder — try first.

# %% [markdown]
# **Exercise 07.conv_flops — the cost of one convolution.** From section 1: a $k \times k$ convolution
# from $C_\text{in}$ to $C_\text{out}$ channels with an $H_\text{out} \times W_\text{out}$ output does
# $2\,k^2 C_\text{in} C_\text{out} H_\text{out} W_\text{out}$ FLOPs per image, forward.

# %% exercise 07.conv_flops
def conv_flops(in_channels, out_channels, kernel, out_height, out_width):
    """Forward FLOPs of one convolution on one image."""
    ### BEGIN SOLUTION
    return 2 * kernel * kernel * in_channels * out_channels * out_height * out_width
    ### END SOLUTION

# %% check 07.conv_flops
lk.exercises.check("07.conv_flops", conv_flops)

# %% [markdown]
# **Exercise 07.share_of_limit — how close to the hardware?** A loop that trains $r$ images per second
# on a network of $F$ FLOPs per training image, on hardware of $P$ FLOP/s, uses the fraction
# $rF/P$ of the limit (a number between 0 and 1).

# %% exercise 07.share_of_limit
def share_of_limit(images_per_second, flops_per_image, peak_flops):
    """The fraction of the hardware's FLOP/s that the loop uses."""
    ### BEGIN SOLUTION
    return images_per_second * flops_per_image / peak_flops
    ### END SOLUTION

# %% check 07.share_of_limit
lk.exercises.check("07.share_of_limit", share_of_limit)
