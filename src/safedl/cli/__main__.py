from safedl.cli.app import main

main()
