// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {SmartWallet} from "./SmartWallet.sol";

/// @title SmartWalletFactory
/// @notice TEST ONLY. Deploys SmartWallets with CREATE2 at predictable addresses, so a wallet can sign before it
/// exists (ERC-6492: the signature carries this factory and the `deploy` calldata).
/// @dev No constructor state: the runtime code may be placed with `anvil_setCode`.
contract SmartWalletFactory {
    event WalletDeployed(address indexed wallet, address indexed owner, bytes32 salt);

    /// @notice Deploys the wallet of `owner` and `salt`, or returns it if it already exists.
    function deploy(address owner, bytes32 salt) external returns (address wallet) {
        wallet = getAddress(owner, salt);
        if (wallet.code.length > 0) return wallet;
        new SmartWallet{salt: salt}(owner);
        emit WalletDeployed(wallet, owner, salt);
    }

    /// @notice The address `deploy(owner, salt)` deploys to.
    function getAddress(address owner, bytes32 salt) public view returns (address) {
        bytes32 initCodeHash = keccak256(abi.encodePacked(type(SmartWallet).creationCode, abi.encode(owner)));
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash)))));
    }
}
