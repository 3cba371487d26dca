{{	.Values.str
}}