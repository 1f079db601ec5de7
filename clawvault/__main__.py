from clawvault.cli import main

main()
