from opshub_cli.main import main

main()
